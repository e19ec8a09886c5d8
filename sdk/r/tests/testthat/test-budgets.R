# Budgets against the live service: an account hierarchy, spends read a page at a time, forecast, allocate, and
# the refusals of a spend the budget cannot pay.

test_that("an account hierarchy is created and listed", {
  steward <- client_as("data-steward")
  ensure_account(org(), 20)
  base <- paste0(org(), "/r-budget")
  a <- veil_create_account(steward, base, 5, 1e-5)
  expect_equal(a$path, base)
  expect_equal(a$parent, org())
  expect_equal(a$deltaLimit, 1e-5)
  veil_create_account(steward, paste0(base, "/ext"), 2, 1e-5)
  veil_create_account(steward, paste0(base, "/int"), 2, 1e-5, accountant = "rdp")
  accounts <- veil_list_accounts(client_as("analyst"))
  expect_s3_class(accounts, "data.frame")
  expect_true(all(paste0(base, c("", "/ext", "/int")) %in% accounts$path))
  expect_equal(accounts$parent[accounts$path == paste0(base, "/ext")], base)
  # the analyst reads budgets but cannot create them
  e <- caught(veil_create_account(client_as("analyst"), paste0(base, "/mine"), 1, 1e-5))
  expect_equal(e$code, "forbidden")
  # outside the organisation
  e <- caught(veil_create_account(steward, "someone-else/ml", 1, 1e-5))
  expect_equal(e$status, 403L)
  expect_equal(e$code, "foreign_account")
})

test_that("spends are recorded and read back page after page", {
  steward <- client_as("data-steward")
  analyst <- client_as("analyst")
  base <- paste0(org(), "/r-budget")
  ext <- paste0(base, "/ext")
  for (i in 0:4) {
    r <- veil_spend(steward, ext, list(kind = "epsilon-delta", epsilon = 0.1), paste("release", i))
    expect_equal(r$receipt$account, ext)
    expect_true(r$receipt$epsilonAfter[[ext]] > 0)
  }
  veil_spend(steward, paste0(base, "/int"), list(kind = "epsilon-delta", epsilon = 0.2, delta = 1e-7), "internal")
  first <- veil_get_account(analyst, ext, limit = 2)
  expect_equal(nrow(first$spends), 2)
  expect_equal(first[["next"]], first$spends$id[2])
  expect_equal(first$status$spends, 5)
  expect_true(first$status$epsilonSpent > 0.1 && first$status$epsilonSpent <= 0.5 + 1e-9)
  second <- veil_get_account(analyst, ext, after = first[["next"]], limit = 2)
  expect_equal(nrow(second$spends), 2)
  expect_true(all(second$spends$id > first[["next"]]))
  all <- veil_all_spends(analyst, ext, page_size = 2)
  expect_s3_class(all, "data.frame")
  expect_equal(nrow(all), 5)
  expect_equal(all$purpose, paste("release", 0:4))
  expect_equal(length(unique(all$id)), 5)
  expect_true(all(all$status == "granted"))
  expect_equal(all$events[[1]][[1]]$kind, "pure-dp") # delta 0
  # the parent's subtree has both children's spends, oldest first
  subtree <- veil_all_spends(analyst, base, page_size = 4)
  expect_equal(nrow(subtree), 6)
  expect_equal(subtree$id, sort(subtree$id))
  expect_true(paste0(base, "/int") %in% subtree$account)
  # one page with the service's default size
  expect_equal(nrow(veil_get_account(analyst, ext)$spends), 5)
  expect_null(veil_get_account(analyst, ext)[["next"]])
})

test_that("a spend beyond the budget is refused with budget_exceeded, and nothing is spent", {
  steward <- client_as("data-steward")
  ext <- paste0(org(), "/r-budget/ext")
  before <- veil_get_account(steward, ext)$status$epsilonSpent
  e <- caught(veil_spend(steward, ext, list(kind = "epsilon-delta", epsilon = 50), "too much"))
  expect_s3_class(e, "veil_api_error")
  expect_equal(e$status, 409L)
  expect_equal(e$code, "budget_exceeded")
  expect_equal(e$method, "POST")
  expect_equal(e$path, "/v1/spends")
  expect_match(e$request_id, "^r_")
  expect_equal(veil_get_account(steward, ext)$status$epsilonSpent, before)
  # the analyst may not spend
  e <- caught(veil_spend(client_as("analyst"), ext, list(kind = "epsilon-delta", epsilon = 0.1), "x"))
  expect_equal(e$code, "forbidden")
})

test_that("forecast and allocate plan without spending", {
  analyst <- client_as("analyst")
  ext <- paste0(org(), "/r-budget/ext")
  f <- veil_forecast(analyst, ext, window = 3)
  expect_equal(f$account$path, ext)
  expect_s3_class(f$burnDown, "data.frame")
  expect_equal(nrow(f$burnDown), 5)
  expect_true(all(diff(f$burnDown$epsilonAfter) > 0))
  expect_equal(f$projection$status, "projected")
  expect_true(f$projection$spendsThatFit > 0)
  jobs <- list(
    list(kind = "dp-sgd", name = "a", sampleRate = 0.01, steps = 100, weight = 1),
    list(kind = "dp-sgd", name = "b", sampleRate = 0.01, steps = 100, weight = 2)
  )
  al <- veil_allocate(analyst, ext, jobs)
  expect_equal(al$mode, "dp-sgd")
  expect_s3_class(al$jobs, "data.frame")
  expect_equal(al$jobs$name, c("a", "b"))
  expect_equal(al$jobs$noiseMultiplier[1] / al$jobs$noiseMultiplier[2], 2, tolerance = 1e-3)
  expect_true(all(al$accounts$epsilonAfter <= al$accounts$limit))
  # a data frame of jobs, one row each
  al2 <- veil_allocate(analyst, ext, data.frame(kind = "epsilon-delta", delta = 1e-7, weight = c(1, 3)))
  expect_equal(nrow(al2$jobs), 2)
  expect_equal(al2$jobs$epsilon[2] / al2$jobs$epsilon[1], 3, tolerance = 1e-2)
  expect_equal(veil_get_account(analyst, ext)$status$spends, 5)
})
