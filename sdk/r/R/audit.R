# The audit log, compliance reports and the privacy calculators.

audit_columns <- c("seq", "at", "actor", "action", "account", "dataset", "purpose", "events", "outcome",
                   "detail", "leafHash", "chainHash")

#' One page of the organisation's audit entries
#'
#' `GET /v1/audit/entries?from&limit` (admin, data steward, auditor).
#' @inheritParams veil_me
#' @param from Entries from this sequence number on (default 0).
#' @param limit At most this many (1 - 1000; the service's default 100).
#' @param ... Further query parameters the service takes, passed as they are (named; `NULL` ones left out).
#' @return A list: `entries` (a data frame: `seq`, `at`, `actor`, `action`, `account`, `dataset`, `purpose`,
#'   `events` and `detail` (list columns), `outcome`, `leafHash`, `chainHash`), `head` (the signed tree head:
#'   `size`, `root`, `chainHash`, `at`, `keyId`, `signature`).
#' @seealso [veil_all_audit_entries()] walks every page.
#' @export
veil_audit_entries <- function(client, from = NULL, limit = NULL, ...) {
  page <- veil_get(client, "/v1/audit/entries", query = c(list(from = from, limit = limit), list(...)))
  list(entries = records_df(page$entries, audit_columns), head = page$head)
}

#' Every audit entry of the organisation
#'
#' Reads `GET /v1/audit/entries` page after page from `from` on (a page shorter than `page_size` is the last).
#' @inheritParams veil_me
#' @param from The first sequence number (default 0).
#' @param page_size Entries per request (1 - 1000).
#' @param ... Further query parameters (filters) the service takes, sent with every page.
#' @return A data frame of the entries, oldest first (the columns of [veil_audit_entries()]).
#' @export
veil_all_audit_entries <- function(client, from = 0, page_size = 100, ...) {
  pages <- list()
  repeat {
    page <- veil_get(client, "/v1/audit/entries", query = c(list(from = from, limit = page_size), list(...)))
    entries <- page$entries
    pages[[length(pages) + 1L]] <- entries
    # a short page is the last: the service fills a page with the organisation's entries from `from` on
    if (length(entries) == 0L || length(entries) < page_size) break
    from <- entries[[length(entries)]]$seq + 1
  }
  records_df(do.call(c, pages), audit_columns)
}

#' One audit entry with its inclusion proof
#'
#' `GET /v1/audit/entries/:seq`: the entry, its RFC 6962 inclusion proof and the signed head.
#' @inheritParams veil_me
#' @param seq The entry's sequence number.
#' @return A list: `entry`, `proof` (`seq`, `leafHash`, `head`, `proof`: the audit path's hashes), `head`.
#' @export
veil_audit_entry <- function(client, seq) {
  veil_get(client, paste0("/v1/audit/entries/", format(seq, scientific = FALSE)))
}

#' Verify the whole audit log
#'
#' `GET /v1/audit/verify`: entries, chain, signed heads, witness and budget tables.
#' @inheritParams veil_me
#' @return A list: `ok`, `size`, `budget` (`ok`), `problems`.
#' @export
veil_verify_audit <- function(client) veil_get(client, "/v1/audit/verify")

#' Export the organisation's audit entries
#'
#' `GET /v1/audit/export` (admin, auditor).
#' @inheritParams veil_me
#' @return A list: `entries` (a data frame, as [veil_audit_entries()]), `head`, `publicKey` (the log's public key,
#'   hex).
#' @export
veil_export_audit <- function(client) {
  out <- veil_get(client, "/v1/audit/export")
  out$entries <- records_df(out$entries, audit_columns)
  out
}

#' A compliance evidence report
#'
#' `GET /v1/reports/:regulation?format=` (admin, data steward, auditor): `veil report`'s report, scoped to the
#' caller's organisation.
#' @inheritParams veil_me
#' @param regulation One of `"gdpr"`, `"hipaa"`, `"ccpa"`.
#' @param format `"json"` (default: the report as a list), `"html"` (the self-contained page) or `"pdf"` (only
#'   where the service has Chromium; elsewhere 400 `unsupported_format`).
#' @return A list for `json`; a raw vector for `html` and `pdf` (write it with `writeBin()`).
#' @export
veil_report <- function(client, regulation, format = c("json", "html", "pdf")) {
  format <- match.arg(format)
  path <- paste0("/v1/reports/", seg(regulation))
  if (format == "json") return(veil_get(client, path, query = list(format = "json")))
  resp <- veil_send(client, "GET", path, query = list(format = format), accept = "*/*", idempotent = TRUE)
  httr2::resp_body_raw(resp)
}

#' Epsilon of a release
#'
#' `POST /v1/privacy/epsilon` (`veil privacy epsilon`). Computes only: safe to retry.
#' @inheritParams veil_me
#' @param release `list(kind = "dp-sgd", sampleRate, noiseMultiplier, steps)`,
#'   `list(kind = "gaussian", sigma, steps?, l2Sensitivity?)` or `list(kind = "laplace", scale, steps?,
#'   l1Sensitivity?)`.
#' @param delta The delta, in (0, 1).
#' @param accountant `"rdp"` (default) or `"pld"`.
#' @return A list: `epsilon` and what the accountant reports with it (e.g. `order`).
#' @export
veil_privacy_epsilon <- function(client, release, delta, accountant = NULL) {
  veil_compute(client, "/v1/privacy/epsilon",
               compact(list(accountant = accountant, delta = delta, release = release)))
}

#' The least noise that meets a target epsilon
#'
#' `POST /v1/privacy/calibrate` (`veil privacy calibrate`). Computes only: safe to retry.
#' @inheritParams veil_me
#' @param target_epsilon The target epsilon.
#' @param release `list(kind = "dp-sgd", delta, sampleRate, steps, accountant?, tolerance?)`,
#'   `list(kind = "gaussian", delta, l2Sensitivity?, calibration?)` or `list(kind = "laplace", l1Sensitivity?)`.
#' @return A list: the release with its noise (`noiseMultiplier`, `sigma` or `scale`).
#' @export
veil_privacy_calibrate <- function(client, target_epsilon, release) {
  veil_compute(client, "/v1/privacy/calibrate", list(targetEpsilon = target_epsilon, release = release))
}

#' The most DP-SGD steps within a target
#'
#' `POST /v1/privacy/max-steps` (`veil privacy max-steps`). Computes only: safe to retry.
#' @inheritParams veil_me
#' @param target_epsilon The target epsilon.
#' @param delta The delta.
#' @param sample_rate The Poisson sampling rate.
#' @param noise_multiplier The noise multiplier.
#' @param accountant `"rdp"` (default) or `"pld"`.
#' @return A list: `steps`, `epsilon`, `capped`.
#' @export
veil_privacy_max_steps <- function(client, target_epsilon, delta, sample_rate, noise_multiplier,
                                   accountant = NULL) {
  veil_compute(client, "/v1/privacy/max-steps", compact(list(
    targetEpsilon = target_epsilon, delta = delta, sampleRate = sample_rate,
    noiseMultiplier = noise_multiplier, accountant = accountant
  )))
}
