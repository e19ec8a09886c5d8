# The audit log against the live service: entries page after page, one entry with its inclusion proof, the
# whole log verified, the export; and the compliance report as JSON, HTML and (where the service has Chromium)
# PDF.

test_that("audit entries are read page after page, with proofs, and the log verifies", {
  steward <- client_as("data-steward")
  ensure_account(org(), 20)
  account <- paste0(org(), "/r-audit")
  veil_create_account(steward, account, 1, 1e-5)
  veil_spend(steward, account, list(kind = "epsilon-delta", epsilon = 0.05), "audited release")
  auditor <- client_as("auditor")
  full <- veil_audit_entries(auditor, limit = 1000)
  expect_s3_class(full$entries, "data.frame")
  expect_gt(nrow(full$entries), 4)
  expect_equal(full$entries$seq, sort(full$entries$seq))
  expect_true(all(c("account.create", "budget.spend") %in% full$entries$action))
  expect_match(full$head$signature, "^[0-9a-f]+$")
  expect_gte(full$head$size, max(full$entries$seq) + 1)
  walked <- veil_all_audit_entries(auditor, page_size = 2)
  expect_equal(walked$seq, full$entries$seq)
  expect_equal(walked$action, full$entries$action)
  # a page from a sequence number on
  from <- full$entries$seq[3]
  page <- veil_audit_entries(auditor, from = from, limit = 2)
  expect_equal(page$entries$seq, full$entries$seq[3:4])
  expect_equal(veil_all_audit_entries(auditor, from = from, page_size = 3)$seq, full$entries$seq[-(1:2)])
  # the spend just made, with its inclusion proof
  mine <- full$entries[full$entries$action == "budget.spend" & full$entries$account %in% account, ]
  expect_equal(nrow(mine), 1)
  expect_equal(mine$purpose, "audited release")
  one <- veil_audit_entry(auditor, mine$seq)
  expect_equal(one$entry$seq, mine$seq)
  expect_equal(one$entry$leafHash, mine$leafHash)
  expect_equal(one$proof$leafHash, mine$leafHash)
  expect_true(length(one$proof$proof) >= 1)
  expect_match(one$head$root, "^[0-9a-f]{64}$")
  v <- veil_verify_audit(auditor)
  expect_true(v$ok)
  expect_true(v$budget$ok)
  expect_length(v$problems, 0)
  ex <- veil_export_audit(auditor)
  expect_match(ex$publicKey, "^[0-9a-f]+$")
  expect_true(all(full$entries$seq %in% ex$entries$seq))
  # the analyst may not read the log; the steward may read but not export
  expect_equal(caught(veil_audit_entries(client_as("analyst")))$code, "forbidden")
  expect_equal(caught(veil_export_audit(steward))$code, "forbidden")
  expect_equal(caught(veil_audit_entry(auditor, 10^9))$code, "not_found")
})

test_that("the compliance report comes as JSON, HTML and PDF bytes", {
  auditor <- client_as("auditor")
  r <- veil_report(auditor, "gdpr")
  expect_equal(r$kind, "veil-compliance-report")
  expect_equal(r$regulation, "gdpr")
  expect_equal(r$scope$account, org())
  html <- veil_report(auditor, "hipaa", format = "html")
  expect_type(html, "raw")
  expect_match(rawToChar(html[1:15]), "<!doctype html", ignore.case = TRUE)
  pdf <- tryCatch(veil_report(auditor, "ccpa", format = "pdf"), veil_api_error = function(e) e)
  if (inherits(pdf, "veil_api_error")) {
    # a service without Chromium (VEIL_CHROMIUM) says so
    expect_equal(c(pdf$status, pdf$code), c(400L, "unsupported_format"))
    skip("the service has no Chromium to print PDFs")
  }
  expect_equal(rawToChar(pdf[1:4]), "%PDF")
})
