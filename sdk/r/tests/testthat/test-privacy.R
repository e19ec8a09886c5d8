# The privacy calculators against the live service.

test_that("epsilon, calibrate and max-steps agree with each other", {
  analyst <- client_as("analyst")
  sgd <- list(kind = "dp-sgd", sampleRate = 0.01, noiseMultiplier = 1.1, steps = 1000)
  eps <- veil_privacy_epsilon(analyst, sgd, delta = 1e-5)
  expect_equal(eps$epsilon, 1.7117701030276586, tolerance = 1e-9)
  pld <- veil_privacy_epsilon(analyst, sgd, delta = 1e-5, accountant = "pld")
  expect_true(pld$epsilon > 0 && pld$epsilon < eps$epsilon)
  # the steps that fit a target, and their epsilon within it
  ms <- veil_privacy_max_steps(analyst, target_epsilon = 1, delta = 1e-5, sample_rate = 0.01, noise_multiplier = 1.1)
  expect_false(ms$capped)
  expect_lte(ms$epsilon, 1)
  at <- veil_privacy_epsilon(analyst, modifyList(sgd, list(steps = ms$steps)), delta = 1e-5)
  expect_lte(at$epsilon, 1)
  over <- veil_privacy_epsilon(analyst, modifyList(sgd, list(steps = ms$steps + 1)), delta = 1e-5)
  expect_gt(over$epsilon, 1)
  # the least noise that meets a target
  cal <- veil_privacy_calibrate(analyst, 1, list(kind = "dp-sgd", delta = 1e-5, sampleRate = 0.01, steps = 1000))
  back <- veil_privacy_epsilon(analyst, modifyList(sgd, list(noiseMultiplier = cal$noiseMultiplier)), 1e-5)
  expect_equal(back$epsilon, 1, tolerance = 1e-2)
  g <- veil_privacy_calibrate(analyst, 1, list(kind = "gaussian", delta = 1e-5))
  expect_equal(g$sigma, 3.7306316348188098, tolerance = 1e-9)
  lap <- veil_privacy_calibrate(analyst, 0.5, list(kind = "laplace", l1Sensitivity = 2))
  expect_equal(lap$scale, 4, tolerance = 1e-12)
  gauss <- veil_privacy_epsilon(analyst, list(kind = "gaussian", sigma = g$sigma), delta = 1e-5)
  expect_gt(gauss$epsilon, 0)
  # out-of-range parameters are refused with the field's path
  e <- caught(veil_privacy_epsilon(analyst, sgd, delta = 1.5))
  expect_equal(c(e$status, e$code), c(400L, "bad_request"))
  expect_match(e$message, "delta")
})
