# Oracle for tests/test_gower_kmedoids.py: Gower dissimilarities from R's cluster::daisy.
#
#   Rscript tests/data/gower_daisy.R     (from the project root; needs r-cran-cluster)
#
# Reads gower_daisy_input.csv (empty cell = missing) and writes the full n x n matrices
# gower_daisy_unweighted.csv and gower_daisy_weighted.csv (NA where a pair of rows shares no
# non-missing variable). Column types: spend and employees numeric (interval), industry and
# region unordered factors (nominal), size an ordered factor small < medium < large <
# enterprise ("enterprise" never occurs, so the observed code range is 2).
suppressPackageStartupMessages(library(cluster))
here <- "tests/data"
x <- read.csv(file.path(here, "gower_daisy_input.csv"), na.strings = "",
              stringsAsFactors = FALSE, row.names = "id")
x$industry <- factor(x$industry)
x$region <- factor(x$region)
x$size <- factor(x$size, levels = c("small", "medium", "large", "enterprise"), ordered = TRUE)
x$employees <- as.numeric(x$employees)
stopifnot(identical(names(x), c("spend", "employees", "industry", "size", "region")))

save <- function(d, name) {
  m <- as.matrix(d)
  out <- matrix(sprintf("%.17g", m), nrow(m), dimnames = dimnames(m))
  out[is.na(m)] <- "NA"
  write.csv(out, file.path(here, name), quote = FALSE)
}
save(daisy(x, metric = "gower"), "gower_daisy_unweighted.csv")
save(daisy(x, metric = "gower", weights = c(2, 1, 0.5, 3, 1)), "gower_daisy_weighted.csv")
cat(sprintf("cluster %s, %s\n", packageVersion("cluster"), R.version.string))
