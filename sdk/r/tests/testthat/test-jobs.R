# Datasets and jobs against the live service: UCI Adult uploaded and registered, a DP training job and a
# synthetic-data job waited on with their progress, their files with SHA-256 fingerprints, the job list.

train_spec <- function(account, dataset, path, epsilon = 1) {
  list(
    data = list(kind = "csv", path = path, label = "income>50K"),
    privacy = list(epsilon = epsilon, publicSize = 30000),
    epochs = 1,
    ledger = list(account = account, dataset = dataset, purpose = "research")
  )
}

test_that("a dataset is uploaded and registered with its consent terms", {
  skip_if_no_adult()
  steward <- client_as("data-steward")
  up <- veil_upload_dataset(steward, "adult-r", adult_csv())
  expect_equal(up$name, "adult-r")
  expect_equal(up$bytes, file.info(adult_csv())$size)
  expect_match(up$fingerprint, "^sha256:[0-9a-f]{64}$")
  hex <- sha256_hex(readBin(adult_csv(), "raw", file.info(adult_csv())$size))
  if (!is.null(hex)) expect_equal(up$fingerprint, paste0("sha256:", hex))
  # one purpose stays a JSON array
  ds <- veil_register_dataset(steward, "adult-r", "research", retain_until = as.Date("2030-12-31"),
                              constraints = "no re-identification", description = "UCI Adult, for the R SDK")
  expect_equal(ds$purposes, list("research"))
  expect_equal(ds$fingerprint, up$fingerprint)
  expect_match(ds$retainUntil, "^2030-12-31")
  listed <- veil_list_datasets(client_as("analyst"))
  expect_s3_class(listed, "data.frame")
  row <- listed[listed$name == "adult-r", ]
  expect_equal(nrow(row), 1)
  expect_equal(row$purposes[[1]], list("research"))
  # a registered dataset is never replaced
  e <- caught(veil_upload_dataset(steward, "adult-r", charToRaw("a,b\n1,2\n")))
  expect_equal(e$status, 409L)
  expect_equal(e$code, "dataset_registered")
  # a data frame uploads as CSV
  tiny <- veil_upload_dataset(steward, "tiny-r", data.frame(x = c(0.5, 0.25), label = c("a", "b")))
  expect_equal(tiny$bytes, nchar("\"x\",\"label\"\n0.5,\"a\"\n0.25,\"b\"\n"))
  # the analyst may not upload
  expect_equal(caught(veil_upload_dataset(client_as("analyst"), "x", charToRaw("a\n1\n")))$code, "forbidden")
})

test_that("a DP training job and a synthetic-data job run, with their progress and files", {
  skip_if_no_adult()
  analyst <- client_as("analyst")
  ensure_account(org(), 20)
  account <- paste0(org(), "/r-jobs")
  veil_create_account(client_as("data-steward"), account, 5, 1e-5)

  job <- veil_submit_job(analyst, "train", train_spec(account, "adult-r", "adult-r.csv"))
  expect_match(job$id, "^j_[0-9a-f]{20}$")
  expect_equal(job$kind, "train")
  expect_equal(job$spend$account, account)
  expect_equal(job$spend$reservation, "reserved")
  # a wait with no time left gives up at once (unless the job has already ended)
  early <- caught(veil_wait_for_job(analyst, job$id, timeout = 0))
  if (!is.null(early)) expect_equal(c(early$status, early$code), c("0", "timeout"))

  domain <- jsonlite::read_json(adult_domain())
  synth <- veil_submit_job(analyst, "synth", list(
    data = "adult-r.csv", domain = domain, method = "mst", epsilon = 1, delta = 1e-9, rows = 200,
    ledger = list(account = account, dataset = "adult-r", purpose = "research")
  ), priority = 1, timeout_seconds = 600)
  expect_equal(synth$kind, "synth")
  expect_equal(synth$timeoutSeconds, 600)

  seen <- list()
  done <- veil_wait_for_job(analyst, job$id, on_event = function(e) seen[[length(seen) + 1L]] <<- e,
                            interval = 0.5, timeout = 120)
  expect_null(done$error)
  expect_equal(done$state, "succeeded")
  expect_equal(done$spend$reservation, "consumed")
  kinds <- vapply(seen, function(e) e$event$kind, "")
  expect_true(all(c("ledger", "train-epoch") %in% kinds))
  seqs <- vapply(seen, function(e) as.numeric(e$seq), 0)
  expect_equal(seqs, sort(unique(seqs)))
  # the stored events are the ones passed, each once
  events <- veil_job_events(analyst, job$id)
  expect_s3_class(events, "data.frame")
  expect_equal(events$seq, seqs)
  expect_equal(veil_job_events(analyst, job$id, after = seqs[2])$seq, seqs[-(1:2)])
  epoch <- events$event[[which(events$kind == "train-epoch")[1]]]
  expect_equal(epoch$epoch, 1)

  summary <- done$result$summary
  expect_true(summary$private)
  expect_lte(summary$epsilonSpent, 1 + 1e-9)
  expect_gt(summary$testAccuracy, 0.5)
  files <- done$result$files
  names <- vapply(files, function(f) f$name, "")
  expect_true("model.json" %in% names)
  model <- files[[which(names == "model.json")]]
  dest <- tempfile(fileext = ".json")
  f <- veil_job_file(analyst, job$id, "model.json", dest = dest)
  expect_equal(f$fingerprint, model$fingerprint)
  expect_gt(length(f$bytes), 0)
  expect_equal(readBin(dest, "raw", file.info(dest)$size), f$bytes)
  hex <- sha256_hex(f$bytes)
  if (!is.null(hex)) expect_equal(f$fingerprint, paste0("sha256:", hex))
  expect_type(jsonlite::fromJSON(rawToChar(f$bytes), simplifyVector = FALSE), "list")

  sdone <- veil_wait_for_job(analyst, synth$id, interval = 0.5, timeout = 120)
  expect_equal(sdone$state, "succeeded")
  snames <- vapply(sdone$result$files, function(f) f$name, "")
  expect_true(all(c("synthetic.csv", "synth-model.json") %in% snames))
  csv <- veil_job_file(client_as("auditor"), synth$id, "synthetic.csv")
  rows <- utils::read.csv(text = rawToChar(csv$bytes), check.names = FALSE)
  expect_equal(nrow(rows), 200)
  expect_equal(names(rows), names(utils::read.csv(adult_csv(), nrows = 1, check.names = FALSE)))

  jobs <- veil_list_jobs(analyst, state = "succeeded")
  expect_s3_class(jobs, "data.frame")
  expect_true(all(c(job$id, synth$id) %in% jobs$id))
  expect_true(all(jobs$state == "succeeded"))
  expect_equal(nrow(veil_list_jobs(analyst, limit = 1)), 1)
  # both spends are on the account, consumed
  spends <- veil_all_spends(analyst, account)
  expect_equal(nrow(spends), 2)
  # cancelling a job that has ended changes nothing
  expect_equal(veil_cancel_job(analyst, job$id)$state, "succeeded")
  # a bad file name is refused before anything is reserved
  e <- caught(veil_submit_job(analyst, "train", train_spec(account, "adult-r", "../adult-r.csv")))
  expect_equal(e$status, 400L)
  expect_equal(e$code, "invalid_path")
  expect_equal(nrow(veil_all_spends(analyst, account)), 2)
  # a data steward may not submit; an unknown job is 404
  e <- caught(veil_submit_job(client_as("data-steward"), "train", train_spec(account, "adult-r", "adult-r.csv")))
  expect_equal(e$code, "forbidden")
  expect_equal(caught(veil_get_job(analyst, "j_00000000000000000000"))$code, "not_found")
  expect_equal(caught(veil_job_file(analyst, job$id, "nope.bin"))$status, 404L)
})

test_that("a finished job's wait returns at once; an unknown job's is a 404", {
  analyst <- client_as("analyst")
  jobs <- veil_list_jobs(analyst, limit = 1)
  skip_if(nrow(jobs) == 0, "no job")
  expect_equal(veil_wait_for_job(analyst, jobs$id[1], timeout = 0)$state, jobs$state[1])
  expect_equal(caught(veil_wait_for_job(analyst, "j_00000000000000000000", timeout = 0))$code, "not_found")
})
