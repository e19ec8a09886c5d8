# Metrics and alert webhooks against the live service.

test_that("metrics are Prometheus text for the admin and the auditor only", {
  text <- veil_metrics(admin_client())
  expect_type(text, "character")
  expect_match(text, "veil_http_requests_total")
  expect_match(veil_metrics(client_as("auditor")), "# TYPE")
  expect_equal(caught(veil_metrics(client_as("analyst")))$code, "forbidden")
})

test_that("webhooks are created with their secret, listed and disabled", {
  steward <- client_as("data-steward")
  w <- veil_create_webhook(steward, "https://alerts.example/veil", kinds = "job.failed", threshold = 0.5)
  expect_match(w$webhook$id, "^w_")
  expect_equal(w$webhook$kinds, list("job.failed"))
  expect_equal(w$webhook$threshold, 0.5)
  expect_true(nchar(w$secret) >= 40)
  both <- veil_create_webhook(steward, "https://alerts.example/all")
  expect_setequal(unlist(both$webhook$kinds), c("budget.threshold", "job.failed"))
  listed <- veil_list_webhooks(steward)
  expect_s3_class(listed, "data.frame")
  expect_true(all(c(w$webhook$id, both$webhook$id) %in% listed$id))
  off <- veil_disable_webhook(steward, w$webhook$id)
  expect_false(is.null(off$disabledAt))
  listed <- veil_list_webhooks(steward)
  expect_false(is.na(listed$disabledAt[listed$id == w$webhook$id]))
  expect_equal(caught(veil_create_webhook(client_as("analyst"), "https://x.example"))$code, "forbidden")
})
