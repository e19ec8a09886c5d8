# Runs the R SDK's tests against a live Veil service:
#
#   node scripts/with-service.mjs -- Rscript sdk/r/tests/run.R      (from the repository's root)
#
# The package is installed from sdk/r into a temporary library first (R CMD INSTALL: only base R, no pkgload
# or devtools), then testthat runs tests/testthat/test-*.R. The service comes from the environment: VEIL_URL,
# VEIL_API_KEY (an organisation administrator's key), VEIL_DATASETS (the shared datasets, with adult/adult.csv).
# Exits non-zero when a test fails.
args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)][1])
tests_dir <- normalizePath(dirname(script))
pkg_dir <- normalizePath(file.path(tests_dir, ".."))

for (v in c("VEIL_URL", "VEIL_API_KEY")) {
  if (Sys.getenv(v) == "") {
    message("run.R: ", v, " is unset; run the tests against a live service:\n",
            "  node scripts/with-service.mjs -- Rscript sdk/r/tests/run.R")
    quit(status = 2)
  }
}

lib <- file.path(tempdir(), "veilclient-lib")
dir.create(lib, showWarnings = FALSE)
out <- system2(file.path(R.home("bin"), "R"),
               c("CMD", "INSTALL", "--no-docs", "--no-help", "--no-byte-compile", "--no-multiarch",
                 "-l", shQuote(lib), shQuote(pkg_dir)),
               stdout = TRUE, stderr = TRUE)
status <- attr(out, "status")
if (!is.null(status) && status != 0) {
  cat(out, sep = "\n")
  message("run.R: R CMD INSTALL failed")
  quit(status = 1)
}
library(veilclient, lib.loc = lib)
library(testthat)

started <- Sys.time()
results <- tryCatch(
  testthat::test_dir(file.path(tests_dir, "testthat"), reporter = "progress", stop_on_failure = TRUE,
                     stop_on_warning = FALSE),
  error = function(e) {
    message("run.R: ", conditionMessage(e))
    quit(status = 1)
  }
)
df <- as.data.frame(results)
cat(sprintf("\nveilclient: %d tests (%d expectations) in %d files, %d failed, %d skipped, %.1f s\n",
            nrow(df), sum(df$nb), length(unique(df$file)), sum(df$failed), sum(df$skipped),
            as.numeric(difftime(Sys.time(), started, units = "secs"))))
if (sum(df$failed) > 0 || any(df$error)) quit(status = 1)
