# docs/sdk-r.md is a notebook: every ```r block, in order, in one environment, against the live service
# (VEIL_URL, VEIL_API_KEY, VEIL_DATASETS from the environment, as the page's code reads them).

doc_blocks <- function(file) {
  lines <- readLines(file, warn = FALSE)
  blocks <- list()
  current <- NULL
  for (line in lines) {
    if (is.null(current)) {
      if (grepl("^```r\\s*$", line)) current <- character()
    } else if (grepl("^```\\s*$", line)) {
      blocks[[length(blocks) + 1L]] <- current
      current <- NULL
    } else {
      current <- c(current, line)
    }
  }
  if (!is.null(current)) stop(file, ": an ```r block is not closed")
  blocks
}

test_that("the walk-through of docs/sdk-r.md runs against the service, block after block", {
  root <- repo_root()
  skip_if(is.null(root), "not inside the Veil repository")
  skip_if_no_adult()
  blocks <- doc_blocks(file.path(root, "docs", "sdk-r.md"))
  expect_gt(length(blocks), 8)
  env <- new.env(parent = globalenv())
  for (i in seq_along(blocks)) {
    code <- paste(blocks[[i]], collapse = "\n")
    result <- tryCatch({
      exprs <- parse(text = code, keep.source = FALSE)
      utils::capture.output(suppressMessages(for (e in exprs) print(withVisible(eval(e, env))$value)))
      NULL
    }, error = function(e) e)
    if (!is.null(result)) {
      fail(sprintf("docs/sdk-r.md, r block %d failed: %s\n%s", i, conditionMessage(result), code))
      return()
    }
    succeed()
  }
  # what the page says it shows
  expect_equal(env$me$role, "admin")
  expect_true(all(c("acme", "acme/ml") %in% env$accounts$path))
  expect_match(env$uploaded$fingerprint, "^sha256:")
  expect_equal(env$done$state, "succeeded")
  expect_lte(env$summary$epsilonSpent, 2 + 1e-9)
  expect_true(env$model$fingerprint %in% env$files$fingerprint)
  expect_equal(env$synth_done$state, "succeeded")
  expect_equal(dim(env$synthetic), c(1000L, 14L))
  expect_equal(nrow(env$spends), 2)
  expect_true(env$verified$ok)
  expect_equal(c(env$err$status, env$err$code), c(409L, "budget_exceeded"))
  expect_equal(env$pages, nrow(env$spends))
  expect_equal(env$report$regulation, "gdpr")
  expect_s3_class(env$patient, "veil_client")
})
