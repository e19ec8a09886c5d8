# Operations: metrics and alert webhooks.

#' The service's metrics
#'
#' `GET /metrics` (admin, auditor): Prometheus text, the caller's organisation only.
#' @inheritParams veil_me
#' @return A character string (the Prometheus exposition text).
#' @export
veil_metrics <- function(client) {
  resp <- veil_send(client, "GET", "/metrics", accept = "text/plain", idempotent = TRUE)
  text <- rawToChar(httr2::resp_body_raw(resp))
  Encoding(text) <- "UTF-8"
  text
}

webhook_columns <- c("id", "url", "kinds", "threshold", "createdAt", "createdBy", "disabledAt")

#' Alert webhooks
#'
#' `GET /v1/webhooks` (admin, data steward).
#' @inheritParams veil_me
#' @return A data frame: `id`, `url`, `kinds` (list column), `threshold`, `createdAt`, `createdBy`,
#'   `disabledAt`.
#' @export
veil_list_webhooks <- function(client) {
  records_df(veil_get(client, "/v1/webhooks")$webhooks, webhook_columns)
}

#' Register an alert webhook
#'
#' `POST /v1/webhooks` (admin, data steward). Sent once.
#' @inheritParams veil_me
#' @param url The endpoint alerts are POSTed to.
#' @param kinds Alert kinds (`"budget.threshold"`, `"job.failed"`; default both).
#' @param threshold The fraction of an account's epsilon limit that triggers `budget.threshold`, in (0, 1]
#'   (default 0.8).
#' @return A list: `webhook` and `secret` (base64, the HMAC key of `veil-signature`, shown this once).
#' @export
veil_create_webhook <- function(client, url, kinds = NULL, threshold = NULL) {
  veil_post(client, "/v1/webhooks", compact(list(url = url, kinds = as_array(kinds), threshold = threshold)))
}

#' Disable an alert webhook
#'
#' `POST /v1/webhooks/:id/disable`.
#' @inheritParams veil_me
#' @param id The webhook's id (`w_...`).
#' @return The webhook, with `disabledAt` set.
#' @export
veil_disable_webhook <- function(client, id) veil_post(client, paste0("/v1/webhooks/", seg(id), "/disable"))
