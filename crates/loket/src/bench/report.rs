//! The booking suite's figures: one run's table, and the medians over repeated runs.

use super::BenchArgs;
use super::fire::Phase;

/// One run of the booking suite on one backend.
pub struct Run {
    phases: Vec<Phase>,
    /// Whether the rushed sessions showed no place left once the rushes were over.
    exact: bool,
    /// The mean of the run's healthz phases, in requests a second.
    ceiling: f64,
}

/// The phases whose share of the ceiling the medians give, in the table's order.
const MEASURED: [&str; 5] = ["rush", "all_succeed", "availability", "mixed", "page_rush"];

impl Run {
    pub fn new(phases: Vec<Phase>, exact: bool) -> Self {
        let healthz: Vec<f64> = phases
            .iter()
            .filter(|p| p.name.starts_with("healthz"))
            .map(Phase::per_second)
            .collect();
        let ceiling = healthz.iter().sum::<f64>() / healthz.len().max(1) as f64;
        Run {
            phases,
            exact,
            ceiling,
        }
    }

    fn phase(&self, name: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.name == name)
    }

    /// A phase's requests a second as a percentage of the ceiling.
    fn share(&self, name: &str) -> Option<f64> {
        self.phase(name)
            .map(|p| 100.0 * p.per_second() / self.ceiling)
    }

    /// The page rush's share over the API rush's.
    fn page_ratio(&self) -> Option<f64> {
        Some(self.share("page_rush")? / self.share("rush")?)
    }

    pub fn print(&self, backend: &str, args: &BenchArgs) {
        println!(
            "\n[{backend}] ceiling: {:.0} req/s, the mean of the two healthz runs",
            self.ceiling
        );
        if args.past_bookings > 0 {
            println!("[{backend}] with {} past bookings", args.past_bookings);
        }
        println!(
            "{:<14} {:>8} {:>10} {:>8} {:>8} {:>8} {:>6} {:>9} {:>9} {:>10}",
            "phase",
            "requests",
            "req/s",
            "ok",
            "booked",
            "409",
            "other",
            "p50 ms",
            "p99 ms",
            "vs ceiling"
        );
        for p in &self.phases {
            println!(
                "{:<14} {:>8} {:>10.0} {:>8} {:>8} {:>8} {:>6} {:>9.2} {:>9.2} {:>9.0}%",
                p.name,
                p.requests,
                p.per_second(),
                p.ok,
                p.created,
                p.rejected,
                p.errors,
                p.p50_ms,
                p.p99_ms,
                100.0 * p.per_second() / self.ceiling
            );
        }
        if let Some(m) = self.phase("mixed") {
            println!(
                "mixed: booking attempts p99 {:.2} ms, availability reads p99 {:.2} ms; \
                 a second after the rush (and after the page rush) the sessions show {}",
                m.p99_writes_ms,
                m.p99_reads_ms,
                if self.exact {
                    "full (exact)"
                } else {
                    "places left (NOT exact)"
                }
            );
        }
        if let (Some(api), Some(page)) = (self.share("rush"), self.share("page_rush")) {
            println!(
                "page rush: {page:.0}% of the ceiling, {:.2} of the API rush's {api:.0}% \
                 (the bar: at least 0.50)",
                page / api
            );
        }
        for p in self
            .phases
            .iter()
            .filter(|p| matches!(p.name, "rush" | "mixed" | "page_rush"))
        {
            if p.created as i64 != args.capacity {
                println!(
                    "!! {} booked {} places for a capacity of {}",
                    p.name, p.created, args.capacity
                );
            }
        }
    }
}

/// The median of `values` (the mean of the middle two for an even count); None when empty.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// One line of the medians table: the median, the lowest and the highest of `values`.
fn spread_line(label: &str, values: Vec<f64>, unit: &str) {
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    if let Some(m) = median(values) {
        println!("{label:<28} {m:>9.2}{unit} {lo:>9.2}{unit} {hi:>9.2}{unit}");
    }
}

/// The medians over `runs` of one backend: each phase's share of its own run's ceiling, the
/// page/API ratio, the p99s, and whether every run was exact.
pub fn print_medians(backend: &str, runs: &[&Run]) {
    println!(
        "\n[{backend}] medians over {} runs (each share against its own run's ceiling)",
        runs.len()
    );
    println!(
        "{:<28} {:>10} {:>10} {:>10}",
        "figure", "median", "lowest", "highest"
    );
    spread_line(
        "ceiling, req/s",
        runs.iter().map(|r| r.ceiling).collect(),
        " ",
    );
    for name in MEASURED {
        spread_line(
            &format!("{name}, % of ceiling"),
            runs.iter().filter_map(|r| r.share(name)).collect(),
            "%",
        );
    }
    spread_line(
        "page rush / API rush",
        runs.iter().filter_map(|r| r.page_ratio()).collect(),
        " ",
    );
    for name in ["rush", "all_succeed", "page_rush"] {
        spread_line(
            &format!("{name}, p99 ms"),
            runs.iter()
                .filter_map(|r| r.phase(name).map(|p| p.p99_ms))
                .collect(),
            " ",
        );
    }
    spread_line(
        "mixed reads, p99 ms",
        runs.iter()
            .filter_map(|r| r.phase("mixed").map(|p| p.p99_reads_ms))
            .collect(),
        " ",
    );
    let exact = runs.iter().filter(|r| r.exact).count();
    println!("exact after the rushes in {exact} of {} runs", runs.len());
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn the_median_is_the_middle_value_or_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }
}
