# Reference values of R `survey` for the direct FGT estimators (estimation/survey/direct.py).
#
# Input:  fgt_sample.csv (written by make_fgt_sample.py; stratified, clustered, weighted, domains).
# Output: fgt_reference.csv, long: lonely_psu, unit, domain, statistic, estimate, se, deff
#         (17 significant digits), and sessionInfo.txt.
#
# The FGT indicators are built here from income and poverty_line alone, never from the project:
#   g0 = I(y < z), g1 = I(y < z) (z - y) / z, g2 = g1^2.
# unit "persons": weights weight * hh_size (Susenas WEIND), FGT of persons and the total of poor persons;
# unit "households": weights weight (WERT), FGT of households and the total of poor households.
# domain "ALL" is the whole sample. PSUs are numbered within strata (nest = TRUE).
#
#   cd tests/data/r_survey && Rscript fgt_reference.R
suppressPackageStartupMessages(library(survey))

d <- read.csv("fgt_sample.csv", stringsAsFactors = FALSE)
y <- d$income
z <- d$poverty_line
poor <- y < z
d$g0 <- as.numeric(poor)
d$g1 <- ifelse(poor, (z - y) / z, 0)
d$g2 <- d$g1^2
d$wind <- d$weight * d$hh_size
d$all <- "ALL"

fmt <- function(x) sprintf("%.17g", x)
rows <- list()
add <- function(lonely, unit, domain, statistic, estimate, se, deff = NA) {
  rows[[length(rows) + 1]] <<- data.frame(lonely_psu = lonely, unit = unit, domain = domain,
                                          statistic = statistic, estimate = fmt(estimate), se = fmt(se),
                                          deff = fmt(deff), stringsAsFactors = FALSE)
}

for (lonely in c("adjust", "certainty", "remove", "average")) {
  options(survey.lonely.psu = lonely)
  for (unit in c("persons", "households")) {
    w <- if (unit == "persons") ~wind else ~weight
    des <- svydesign(ids = ~psu, strata = ~stratum, weights = w, nest = TRUE, data = d)
    for (by in c("domain", "all")) {
      byf <- as.formula(paste0("~", by))
      for (a in 0:2) {
        g <- paste0("g", a)
        r <- svyby(as.formula(paste0("~", g)), byf, des, svymean, deff = TRUE, keep.var = TRUE)
        for (i in seq_len(nrow(r))) {
          add(lonely, unit, r[[by]][i], paste0("P", a), r[[g]][i], SE(r)[i], r[[paste0("DEff.", g)]][i])
        }
      }
      tot <- svyby(~g0, byf, des, svytotal)
      for (i in seq_len(nrow(tot))) {
        add(lonely, unit, tot[[by]][i], "poor_total", tot$g0[i], SE(tot)[i])
      }
    }
  }
}
out <- do.call(rbind, rows)
write.csv(out, "fgt_reference.csv", row.names = FALSE, quote = FALSE)
writeLines(capture.output(sessionInfo()), "sessionInfo.txt")
cat(nrow(out), "rows written\n")
