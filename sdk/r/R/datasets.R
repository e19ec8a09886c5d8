# Datasets: uploads and their consent terms.

dataset_columns <- c("name", "fingerprint", "purposes", "retainUntil", "constraints", "description",
                     "registeredAt", "registeredBy")

#' Registered datasets
#'
#' `GET /v1/datasets`: the organisation's datasets.
#' @inheritParams veil_me
#' @return A data frame: `name`, `fingerprint` (`sha256:...`), `purposes` and `constraints` (list columns),
#'   `retainUntil`, `description`, `registeredAt`, `registeredBy`.
#' @export
veil_list_datasets <- function(client) {
  records_df(veil_get(client, "/v1/datasets")$datasets, dataset_columns)
}

#' Upload a dataset's CSV
#'
#' `PUT /v1/datasets/:name/data` (admin, data steward): stored as `<name>.csv` in the organisation's data
#' directory (up to 64 MiB, written atomically). A registered dataset is never replaced (409
#' `dataset_registered`). The same bytes replace the same file: safe to retry.
#' @inheritParams veil_me
#' @param name The dataset's name (the file is `<name>.csv`, the name jobs' specs use).
#' @param csv The CSV: a file path, a raw vector, or a data frame (written with a header, without row names).
#'   For CSV text held in a string, pass `charToRaw(text)`.
#' @return A list: `name`, `bytes`, `fingerprint` (`sha256:...`).
#' @export
veil_upload_dataset <- function(client, name, csv) {
  bytes <- if (is.raw(csv)) {
    csv
  } else if (is.data.frame(csv)) {
    con <- textConnection("veil_csv_text", "w", local = TRUE)
    utils::write.csv(csv, con, row.names = FALSE)
    close(con)
    charToRaw(paste0(paste(veil_csv_text, collapse = "\n"), "\n"))
  } else if (is.character(csv) && length(csv) == 1L && file.exists(csv)) {
    readBin(csv, "raw", file.info(csv)$size)
  } else {
    stop("veil_upload_dataset: csv must be a file path, a raw vector or a data frame", call. = FALSE)
  }
  veil_json(client, "PUT", paste0("/v1/datasets/", seg(name), "/data"), raw = bytes, idempotent = TRUE)
}

#' Register a dataset with its consent terms
#'
#' `POST /v1/datasets` (admin, data steward): the ledger keeps the uploaded file's SHA-256 and the purposes it
#' may be used for. Sent once.
#' @inheritParams veil_me
#' @param name The uploaded dataset's name.
#' @param purposes The allowed purposes (a character vector; always sent as a JSON array).
#' @param retain_until `YYYY-MM-DD` (optional) or a `Date`.
#' @param constraints Free-text constraints (a character vector, optional).
#' @param description A description (optional).
#' @return The dataset (a list: `name`, `fingerprint`, `purposes`, `retainUntil`, `constraints`,
#'   `description`, `registeredAt`, `registeredBy`).
#' @export
veil_register_dataset <- function(client, name, purposes, retain_until = NULL, constraints = NULL,
                                  description = NULL) {
  if (inherits(retain_until, "Date")) retain_until <- format(retain_until, "%Y-%m-%d")
  veil_post(client, "/v1/datasets", compact(list(
    name = name, purposes = as_array(purposes), retainUntil = retain_until,
    constraints = as_array(constraints), description = description
  )))
}
