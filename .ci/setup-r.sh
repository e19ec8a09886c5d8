# Sourced by .ci/run (root, Debian 12, set -euo pipefail): installs Debian's R and the packages the R SDK
# (sdk/r) and its tests need — r-base-core, r-cran-httr2, r-cran-jsonlite, r-cran-testthat — when Rscript or one
# of them is missing. Its tests then run with: node scripts/with-service.mjs -- Rscript sdk/r/tests/run.R
setup_r_packages="r-base-core r-cran-httr2 r-cran-jsonlite r-cran-testthat"
setup_r_missing=""
for setup_r_package in $setup_r_packages; do
  if ! dpkg-query -W -f='${Status}' "$setup_r_package" 2>/dev/null | grep -q 'install ok installed'; then
    setup_r_missing="$setup_r_missing $setup_r_package"
  fi
done
if ! command -v Rscript >/dev/null 2>&1 || [ -n "$setup_r_missing" ]; then
  echo "setup-r: installing Debian's R packages (apt-get):${setup_r_missing:- r-base-core}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # shellcheck disable=SC2086 # a list of package names
  apt-get install -y -qq --no-install-recommends $setup_r_packages >/dev/null
else
  echo "setup-r: R and its packages are installed" >&2
fi
echo "setup-r: $(Rscript --version 2>&1 | head -n 1); httr2 $(Rscript -e 'cat(format(packageVersion("httr2")))' 2>/dev/null || echo '?'), jsonlite $(Rscript -e 'cat(format(packageVersion("jsonlite")))' 2>/dev/null || echo '?'), testthat $(Rscript -e 'cat(format(packageVersion("testthat")))' 2>/dev/null || echo '?')" >&2
unset setup_r_packages setup_r_missing setup_r_package
