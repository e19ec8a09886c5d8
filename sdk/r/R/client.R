# The client object and the one request path every route function goes through: a bearer credential, a timeout
# per attempt, the service's refusals as `veil_api_error` conditions, and retries with exponential backoff and
# jitter for the requests that are safe to repeat (reads, the dataset upload, the pure calculators). A request
# that spends, creates or changes something is sent once, whatever the answer.

#' A client of the Veil service
#'
#' @param base_url The service's URL, e.g. `"http://127.0.0.1:8080"` (http or https).
#' @param api_key An API key (`veil_<id>_<secret>`); default the environment variable `VEIL_API_KEY`.
#' @param token An OIDC access token, used instead of `api_key` when given.
#' @param timeout Each attempt's limit, in seconds (default 30).
#' @param retries Retries after the first attempt for requests that are safe to repeat (default 3; 0: none).
#' @param base_delay The first backoff, in seconds (default 0.25); doubled each retry.
#' @param max_delay The longest wait between attempts, in seconds (default 10); a `Retry-After` asking for more
#'   is not waited for: the refusal is raised.
#' @return An object of class `veil_client` (a list: `base_url`, `timeout`, `retries`, `base_delay`,
#'   `max_delay`; the credential is kept out of its printed form).
#' @examples
#' \dontrun{
#' veil <- veil_client("http://127.0.0.1:8080", api_key = Sys.getenv("VEIL_API_KEY"))
#' veil_me(veil)$role
#' }
#' @export
veil_client <- function(base_url, api_key = Sys.getenv("VEIL_API_KEY"), token = NULL, timeout = 30,
                        retries = 3, base_delay = 0.25, max_delay = 10) {
  if (!is.character(base_url) || length(base_url) != 1L || !grepl("^https?://[^/]", base_url)) {
    stop("veil_client: base_url must be an http(s) URL, got ", deparse(base_url), call. = FALSE)
  }
  credential <- if (!is.null(token)) token else api_key
  if (!is.character(credential) || length(credential) != 1L || is.na(credential) || credential == "") {
    stop("veil_client: give an API key (veil_...) or an OIDC token (api_key defaults to VEIL_API_KEY, which is unset)",
         call. = FALSE)
  }
  stopifnot(is.numeric(timeout), timeout > 0, is.numeric(retries), retries >= 0,
            is.numeric(base_delay), base_delay >= 0, is.numeric(max_delay), max_delay >= 0)
  structure(
    list(
      base_url = sub("/+$", "", base_url),
      credential = function() credential,
      timeout = timeout,
      retries = as.integer(retries),
      base_delay = base_delay,
      max_delay = max_delay
    ),
    class = "veil_client"
  )
}

#' @export
print.veil_client <- function(x, ...) {
  cat("<veil_client> ", x$base_url, " (timeout ", x$timeout, " s, ", x$retries, " retries)\n", sep = "")
  invisible(x)
}

# ---- errors ----

#' The client's error condition
#'
#' Every refusal of the service is raised as a condition of class
#' `c("veil_api_error", "error", "condition")` with fields `status` (HTTP status; 0 when no answer came),
#' `code` (the service's stable code, e.g. `"budget_exceeded"`, `"forbidden"`, `"not_found"`; or the client's
#' own `"network_error"`, `"timeout"`, `"bad_response"`), `message` (the service's message), `request_id` (the
#' service's `x-request-id`, `NA` without an answer), `method` and `path`. Catch it with
#' `tryCatch(..., veil_api_error = function(e) ...)`.
#'
#' @param status,code,message,method,path,request_id The fields.
#' @return A condition object (not raised).
#' @export
veil_api_error <- function(status, code, message, method = NA_character_, path = NA_character_,
                           request_id = NA_character_) {
  structure(
    list(
      message = message, call = NULL, status = as.integer(status), code = code,
      request_id = if (is.null(request_id)) NA_character_ else request_id,
      method = method, path = path
    ),
    class = c("veil_api_error", "error", "condition")
  )
}

#' @export
conditionMessage.veil_api_error <- function(c) {
  paste0(c$method, " ", c$path, ": ", if (c$status == 0L) "" else paste0(c$status, " "), c$code, ": ",
         c$message)
}

#' @export
print.veil_api_error <- function(x, ...) {
  cat("<veil_api_error> ", conditionMessage(x), "\n", sep = "")
  if (!is.na(x$request_id)) cat("request id: ", x$request_id, "\n", sep = "")
  invisible(x)
}

#' Whether a value is a `veil_api_error`, optionally with a given code
#'
#' @param x A value (typically a caught condition).
#' @param code A code to test for (`NULL`: any).
#' @return `TRUE` or `FALSE`.
#' @export
veil_is_error <- function(x, code = NULL) {
  inherits(x, "veil_api_error") && (is.null(code) || identical(x$code, code))
}

# ---- helpers ----

# Drops NULL members of a list (an absent optional field is left out of the body, not sent as {}).
compact <- function(x) x[!vapply(x, is.null, logical(1))]

# A path segment, percent-encoded.
seg <- function(x) utils::URLencode(as.character(x), reserved = TRUE)

# An array in the JSON body even when it has one element (auto_unbox would make it a scalar).
as_array <- function(x) if (is.null(x)) NULL else as.list(x)

to_json <- function(body) {
  as.character(jsonlite::toJSON(body, auto_unbox = TRUE, digits = NA, null = "null", na = "null"))
}

RETRY_STATUS <- c(429L, 502L, 503L, 504L)

# Seconds asked for by a Retry-After header (seconds or an HTTP date), or NULL.
retry_after_seconds <- function(header) {
  if (is.null(header) || !nzchar(trimws(header))) return(NULL)
  secs <- suppressWarnings(as.numeric(header))
  if (!is.na(secs)) return(max(0, secs))
  at <- tryCatch(
    as.POSIXct(strptime(header, "%a, %d %b %Y %H:%M:%S", tz = "GMT")),
    error = function(e) NA
  )
  if (is.na(at)) return(NULL)
  max(0, as.numeric(difftime(at, Sys.time(), units = "secs")))
}

# "Equal jitter": half the doubled delay fixed, half uniform, so that many clients do not retry in step.
backoff <- function(client, attempt) {
  d <- min(client$max_delay, client$base_delay * 2^attempt)
  d / 2 + stats::runif(1) * d / 2
}

refusal <- function(method, path, resp) {
  status <- httr2::resp_status(resp)
  text <- tryCatch(rawToChar(httr2::resp_body_raw(resp)), error = function(e) "")
  code <- paste0("http_", status)
  message <- if (nzchar(text)) substr(text, 1, 300) else httr2::resp_status_desc(resp)
  parsed <- tryCatch(jsonlite::fromJSON(text, simplifyVector = FALSE), error = function(e) NULL)
  if (is.list(parsed) && is.list(parsed$error)) {
    if (is.character(parsed$error$code)) code <- parsed$error$code
    if (is.character(parsed$error$message)) message <- parsed$error$message
  }
  veil_api_error(status, code, if (is.na(message)) "" else message, method, path,
                 header_or_na(resp, "x-request-id"))
}

header_or_na <- function(resp, name) {
  v <- httr2::resp_header(resp, name)
  if (is.null(v)) NA_character_ else v
}

# One call: the 2xx response, or a raised veil_api_error. `idempotent`: safe to send again after a network error,
# a timeout, 429, 502, 503 or 504.
veil_send <- function(client, method, path, query = NULL, body = NULL, raw = NULL, accept = "application/json",
                      idempotent = FALSE) {
  if (!inherits(client, "veil_client")) stop("the first argument must be a veil_client", call. = FALSE)
  req <- httr2::request(paste0(client$base_url, path))
  query <- compact(query)
  if (length(query) > 0) {
    query <- lapply(query, function(v) if (is.numeric(v)) format(v, scientific = FALSE, trim = TRUE) else v)
    req <- do.call(httr2::req_url_query, c(list(req), query))
  }
  req <- httr2::req_method(req, method)
  req <- httr2::req_headers(req, Authorization = paste("Bearer", client$credential()), Accept = accept)
  if (!is.null(raw)) {
    req <- httr2::req_body_raw(req, raw, type = "application/octet-stream")
  } else if (!is.null(body)) {
    req <- httr2::req_body_raw(req, to_json(body), type = "application/json")
  }
  req <- httr2::req_timeout(req, client$timeout)
  req <- httr2::req_error(req, is_error = function(resp) FALSE)
  # one attempt per req_perform: the retries are this function's own. (httr2 0.2.2 otherwise sleeps a 429's or
  # 503's Retry-After, and 1 - 2 s after a network error, even when it makes no further attempt.)
  req <- httr2::req_retry(req, max_tries = 1, is_transient = function(resp) FALSE, backoff = function(i) 0,
                          after = function(resp) 0)
  n <- 0L
  repeat {
    can_retry <- idempotent && n < client$retries
    resp <- tryCatch(httr2::req_perform(req), error = function(e) e)
    if (inherits(resp, "error")) {
      msg <- conditionMessage(resp)
      timed_out <- grepl("timeout|timed out", msg, ignore.case = TRUE)
      if (can_retry) {
        Sys.sleep(backoff(client, n))
        n <- n + 1L
        next
      }
      stop(veil_api_error(
        0L, if (timed_out) "timeout" else "network_error",
        if (timed_out) paste0("no answer within ", client$timeout, " s")
        else paste0("the service at ", client$base_url, " cannot be reached (", msg, ")"),
        method, path
      ))
    }
    status <- httr2::resp_status(resp)
    if (status >= 200L && status < 300L) return(resp)
    if (can_retry && status %in% RETRY_STATUS) {
      asked <- retry_after_seconds(httr2::resp_header(resp, "retry-after"))
      if (is.null(asked) || asked <= client$max_delay) {
        Sys.sleep(if (is.null(asked)) backoff(client, n) else asked)
        n <- n + 1L
        next
      }
    }
    stop(refusal(method, path, resp))
  }
}

# The answer's JSON as nested lists (objects: named lists; arrays: unnamed lists).
veil_json <- function(client, method, path, ..., idempotent = (method == "GET")) {
  resp <- veil_send(client, method, path, ..., idempotent = idempotent)
  raw <- httr2::resp_body_raw(resp)
  if (length(raw) == 0L) return(NULL)
  text <- rawToChar(raw)
  Encoding(text) <- "UTF-8"
  tryCatch(
    jsonlite::fromJSON(text, simplifyVector = FALSE),
    error = function(e) {
      stop(veil_api_error(httr2::resp_status(resp), "bad_response", "the answer is not JSON", method, path,
                          header_or_na(resp, "x-request-id")))
    }
  )
}

veil_get <- function(client, path, query = NULL) veil_json(client, "GET", path, query = query)
# A POST that changes something: sent once.
veil_post <- function(client, path, body = NULL) veil_json(client, "POST", path, body = body, idempotent = FALSE)
# A POST that only computes (nothing stored): safe to repeat.
veil_compute <- function(client, path, body) veil_json(client, "POST", path, body = body, idempotent = TRUE)

# ---- tables ----

# A data frame from a list of records (named lists): one column per field, in first-seen order; a field whose
# values are all scalars (or null) is an atomic column (NA for null), any other a list column.
records_df <- function(records, columns = character()) {
  fields <- unique(c(columns, unlist(lapply(records, names), use.names = FALSE)))
  n <- length(records)
  out <- list()
  for (f in fields) {
    vals <- lapply(records, function(r) r[[f]])
    scalar <- vapply(vals, function(v) is.null(v) || (is.atomic(v) && length(v) == 1L), logical(1))
    if (n == 0L) {
      out[[f]] <- logical(0)
    } else if (all(scalar)) {
      present <- Filter(Negate(is.null), vals)
      if (length(present) == 0L) {
        out[[f]] <- rep(NA, n)
      } else {
        out[[f]] <- unlist(lapply(vals, function(v) if (is.null(v)) NA else v), use.names = FALSE)
      }
    } else {
      out[[f]] <- I(vals)
    }
  }
  df <- as.data.frame(out, stringsAsFactors = FALSE, optional = TRUE)
  if (n == 0L && length(fields) == 0L) df <- data.frame()
  attr(df, "row.names") <- .set_row_names(n)
  df
}

# One record of a data frame as a list (list columns unwrapped).
df_row <- function(df, i) {
  lapply(stats::setNames(names(df), names(df)), function(f) {
    v <- df[[f]][i]
    if (is.list(v)) v[[1]] else v
  })
}
