# Jobs: submission, listing, cancelling, progress events, waiting, files.

#' The states a job ends in
#' @export
VEIL_FINAL_JOB_STATES <- c("succeeded", "failed", "cancelled")

job_columns <- c("id", "org", "kind", "state", "submittedBy", "priority", "attempts", "maxAttempts",
                 "timeoutSeconds", "spend", "cancelRequested", "result", "error", "createdAt", "startedAt",
                 "finishedAt")

#' Submit a job
#'
#' `POST /v1/jobs` (admin, analyst). The job's budget is reserved now: a job exists exactly when its reservation
#' does (409 `budget_exceeded`, 403 `consent_refused` otherwise, nothing queued). Sent once: never retried.
#' @inheritParams veil_me
#' @param kind `"train"`, `"synth"`, `"simulate"` or `"coordinator"`.
#' @param spec The job's spec as a named list (docs/server.md, "Jobs"), e.g. for `train`:
#'   `list(data = list(kind = "csv", path = "adult.csv", label = "income>50K"),
#'   privacy = list(epsilon = 1, publicSize = 30000), epochs = 1,
#'   ledger = list(account = "acme/ml", dataset = "adult", purpose = "research"))`.
#'   A vector that must stay a JSON array when it has one element is written `list(12)` or `I(12)`.
#' @param priority -100 - 100, higher first (default 0).
#' @param max_attempts 1 - 10 (default 3).
#' @param timeout_seconds The run's limit (default 3600).
#' @return The job (a list: `id`, `org`, `kind`, `state`, `spend`, ...).
#' @export
veil_submit_job <- function(client, kind, spec, priority = NULL, max_attempts = NULL, timeout_seconds = NULL) {
  veil_post(client, "/v1/jobs", compact(list(
    kind = kind, spec = spec, priority = priority, maxAttempts = max_attempts, timeoutSeconds = timeout_seconds
  )))
}

#' The organisation's jobs
#'
#' `GET /v1/jobs?state&limit`, newest first.
#' @inheritParams veil_me
#' @param state Only jobs in this state (optional).
#' @param limit At most this many (1 - 500; default 50).
#' @return A data frame: `id`, `org`, `kind`, `state`, `submittedBy`, `priority`, `attempts`, `maxAttempts`,
#'   `timeoutSeconds`, `spend`, `result` and `error` (list columns where not all empty), `cancelRequested`,
#'   `createdAt`, `startedAt`, `finishedAt`.
#' @export
veil_list_jobs <- function(client, state = NULL, limit = NULL) {
  records_df(veil_get(client, "/v1/jobs", query = list(state = state, limit = limit))$jobs, job_columns)
}

#' One job
#'
#' `GET /v1/jobs/:id`.
#' @inheritParams veil_me
#' @param id The job's id (`j_...`).
#' @return The job (a list); once it succeeded, `result` holds its summary and `result$files` its files with
#'   their fingerprints; a failed job's `error` has `code` and `message`.
#' @export
veil_get_job <- function(client, id) veil_get(client, paste0("/v1/jobs/", seg(id)))

#' Cancel a job
#'
#' `POST /v1/jobs/:id/cancel` (admin, analyst): a queued job at once (its reservation refunded), a running one at
#' its next lease renewal.
#' @inheritParams veil_get_job
#' @return The job.
#' @export
veil_cancel_job <- function(client, id) veil_post(client, paste0("/v1/jobs/", seg(id), "/cancel"))

job_events_raw <- function(client, id, after) {
  veil_get(client, paste0("/v1/jobs/", seg(id), "/events"), query = list(after = after))$events
}

#' A job's progress events
#'
#' `GET /v1/jobs/:id/events?after=N` (JSON; at most 500 a call).
#' @inheritParams veil_get_job
#' @param after Only events after this sequence number (default 0: all).
#' @return A data frame: `seq`, `at`, `kind` (the event's kind: `train-epoch`, `train-step`, `ledger`, `note`,
#'   `warning`, `progress`), `message` (`NA` where the event has none), `event` (list column: the whole event).
#' @export
veil_job_events <- function(client, id, after = 0) {
  events_df(job_events_raw(client, id, after))
}

events_df <- function(events) {
  txt <- function(e, f) if (is.character(e$event[[f]])) e$event[[f]] else NA_character_
  df <- data.frame(
    seq = vapply(events, function(e) as.numeric(e$seq), numeric(1)),
    at = vapply(events, function(e) e$at, character(1)),
    kind = vapply(events, function(e) txt(e, "kind"), character(1)),
    message = vapply(events, function(e) txt(e, "message"), character(1)),
    stringsAsFactors = FALSE
  )
  df$event <- I(lapply(events, function(e) e$event))
  df
}

#' Wait for a job's final state
#'
#' Polls the job's progress events (`GET /v1/jobs/:id/events?after=N`) and the job (`GET /v1/jobs/:id`) until
#' it is `succeeded`, `failed` or `cancelled`, passing each event once, in order, to `on_event`. A failed job is
#' returned, not raised: look at `job$error$code`. (The service also streams the events as server-sent events;
#' this client polls.)
#' @inheritParams veil_get_job
#' @param on_event A function called with each event: a list `seq`, `at`, `event` (`event$kind`:
#'   `train-epoch`, `train-step`, `ledger`, `note`, `warning`, `progress`, and the kind's fields).
#' @param interval Seconds between polls while nothing new comes (default 1).
#' @param timeout Give up after this many seconds (default `Inf`), with a `veil_api_error` of code `"timeout"`;
#'   the job goes on (cancel it with [veil_cancel_job()]).
#' @param after Events after this sequence number only (default 0: all).
#' @return The job in its final state (a list, as [veil_get_job()]).
#' @export
veil_wait_for_job <- function(client, id, on_event = NULL, interval = 1, timeout = Inf, after = 0) {
  started <- Sys.time()
  elapsed <- function() as.numeric(difftime(Sys.time(), started, units = "secs"))
  emit <- function(events) {
    for (e in events) {
      after <<- e$seq
      if (!is.null(on_event)) on_event(e)
    }
  }
  repeat {
    events <- job_events_raw(client, id, after)
    emit(events)
    # new events: read on at once (at most 500 come a call)
    if (length(events) > 0L) next
    job <- veil_get_job(client, id)
    if (job$state %in% VEIL_FINAL_JOB_STATES) {
      # events written between the last read and the final state
      emit(job_events_raw(client, id, after))
      return(job)
    }
    if (elapsed() >= timeout) {
      stop(veil_api_error(0L, "timeout", paste0("job ", id, " has not ended within ", timeout, " s"),
                          "GET", paste0("/v1/jobs/", id)))
    }
    Sys.sleep(max(0, min(interval, timeout - elapsed())))
  }
}

#' A file a job wrote
#'
#' `GET /v1/jobs/:id/files/:name`: a training job's model (`model.json`, `weights.bin`), a synthetic-data job's
#' `synthetic.csv` and `synth-model.json`; the names are in `job$result$files`.
#' @inheritParams veil_get_job
#' @param name The file's name.
#' @param dest A file to write the bytes to (optional).
#' @param verify Check the bytes against the service's fingerprint (needs the `openssl` package, which httr2
#'   depends on; skipped without it). A mismatch is a `veil_api_error` of code `"fingerprint_mismatch"`.
#' @return A list: `name`, `bytes` (a raw vector), `fingerprint` (the `veil-fingerprint` header,
#'   `sha256:<hex>`), `path` (`dest`, or `NULL`).
#' @export
veil_job_file <- function(client, id, name, dest = NULL, verify = TRUE) {
  path <- paste0("/v1/jobs/", seg(id), "/files/", seg(name))
  resp <- veil_send(client, "GET", path, accept = "*/*", idempotent = TRUE)
  bytes <- httr2::resp_body_raw(resp)
  fingerprint <- header_or_na(resp, "veil-fingerprint")
  if (verify && !is.na(fingerprint) && requireNamespace("openssl", quietly = TRUE)) {
    actual <- paste0("sha256:", as.character(openssl::sha256(bytes)))
    if (!identical(actual, fingerprint)) {
      stop(veil_api_error(httr2::resp_status(resp), "fingerprint_mismatch",
                          paste0("the file's SHA-256 is ", actual, ", the service said ", fingerprint),
                          "GET", path, header_or_na(resp, "x-request-id")))
    }
  }
  if (!is.null(dest)) writeBin(bytes, dest)
  list(name = name, bytes = bytes, fingerprint = fingerprint, path = dest)
}
