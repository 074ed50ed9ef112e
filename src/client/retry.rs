//! The reconnect schedule of Autobahn|JS (`Connection._autoreconnect_advance`): the delay starts
//! at `initial_retry_delay`, is jittered with a normal distribution, capped at
//! `max_retry_delay`, and grows by `retry_delay_growth` after each attempt (after the cap, so
//! jitter compounds exactly as in Autobahn|JS). Unlike Autobahn|JS, a jitter of 0 means none.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct RetryConfig {
    /// -1 = unlimited.
    pub max_retries: i64,
    /// Seconds.
    pub initial_retry_delay: f64,
    pub max_retry_delay: f64,
    pub retry_delay_growth: f64,
    pub retry_delay_jitter: f64,
    pub retry_if_unreachable: bool,
}

/// Autobahn|JS's defaults.
impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_retries: 15,
            initial_retry_delay: 1.5,
            max_retry_delay: 300.0,
            retry_delay_growth: 1.5,
            retry_delay_jitter: 0.1,
            retry_if_unreachable: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryDecision {
    /// Seconds until the next attempt; `None` when there is none.
    pub delay: Option<f64>,
    pub count: Option<u32>,
    pub will_retry: bool,
}

pub struct RetrySchedule {
    config: RetryConfig,
    delay: f64,
    count: u32,
    normal: Box<dyn FnMut() -> f64 + Send>,
}

impl RetrySchedule {
    pub fn new(config: RetryConfig) -> Self {
        Self::with_normal(config, Box::new(standard_normal))
    }

    /// A schedule with a given source of standard-normal samples (for tests).
    pub fn with_normal(config: RetryConfig, normal: Box<dyn FnMut() -> f64 + Send>) -> Self {
        let delay = config.initial_retry_delay;
        RetrySchedule {
            config,
            delay,
            count: 0,
            normal,
        }
    }

    /// Called whenever a transport opens.
    pub fn reset(&mut self) {
        self.delay = self.config.initial_retry_delay;
        self.count = 0;
    }

    /// Called on every transport close; `retry_allowed` is false once the user or the session
    /// said not to reconnect.
    pub fn advance(&mut self, retry_allowed: bool) -> RetryDecision {
        let c = &self.config;
        if c.retry_delay_jitter > 0.0 {
            let sample = (self.normal)();
            self.delay = (self.delay + sample * self.delay * c.retry_delay_jitter).max(0.0);
        }
        if self.delay > c.max_retry_delay {
            self.delay = c.max_retry_delay;
        }
        self.count = self.count.saturating_add(1);
        let within = c.max_retries < 0 || i64::from(self.count) <= c.max_retries;
        let decision = if retry_allowed && within {
            RetryDecision {
                delay: Some(self.delay),
                count: Some(self.count),
                will_retry: true,
            }
        } else {
            RetryDecision {
                delay: None,
                count: None,
                will_retry: false,
            }
        };
        if c.retry_delay_growth > 0.0 {
            self.delay *= c.retry_delay_growth;
        }
        decision
    }
}

/// A standard normal sample by the Marsaglia polar method, as Autobahn's `util.rand_normal`.
fn standard_normal() -> f64 {
    loop {
        let u: f64 = rand::random::<f64>() * 2.0 - 1.0;
        let v: f64 = rand::random::<f64>() * 2.0 - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            return u * (-2.0 * s.ln() / s).sqrt();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_jitter() -> RetryConfig {
        RetryConfig {
            retry_delay_jitter: 0.0,
            ..RetryConfig::default()
        }
    }

    #[test]
    fn nominal_delays_grow_and_cap() {
        let mut s = RetrySchedule::new(RetryConfig {
            max_retry_delay: 4.0,
            ..no_jitter()
        });
        let delays: Vec<f64> = (0..4).map(|_| s.advance(true).delay.unwrap()).collect();
        assert_eq!(delays, vec![1.5, 2.25, 3.375, 4.0]);
    }

    #[test]
    fn max_retries_limits_attempts_and_reset_restarts() {
        let mut s = RetrySchedule::new(RetryConfig {
            max_retries: 2,
            ..no_jitter()
        });
        assert_eq!(s.advance(true).count, Some(1));
        assert_eq!(s.advance(true).count, Some(2));
        assert_eq!(
            s.advance(true),
            RetryDecision {
                delay: None,
                count: None,
                will_retry: false
            }
        );
        s.reset();
        assert_eq!(
            s.advance(true),
            RetryDecision {
                delay: Some(1.5),
                count: Some(1),
                will_retry: true
            }
        );
    }

    #[test]
    fn zero_max_retries_never_retries_and_minus_one_always_does() {
        let mut s = RetrySchedule::new(RetryConfig {
            max_retries: 0,
            ..no_jitter()
        });
        assert!(!s.advance(true).will_retry);
        let mut s = RetrySchedule::new(RetryConfig {
            max_retries: -1,
            max_retry_delay: 2.0,
            ..no_jitter()
        });
        for _ in 0..1000 {
            assert!(s.advance(true).will_retry);
        }
    }

    #[test]
    fn a_cleared_retry_flag_stops_retrying() {
        let mut s = RetrySchedule::new(no_jitter());
        assert!(!s.advance(false).will_retry);
    }

    #[test]
    fn jitter_uses_the_normal_sample_scaled_by_the_delay() {
        let mut samples = vec![1.0, -1.0].into_iter();
        let mut s = RetrySchedule::with_normal(
            RetryConfig::default(),
            Box::new(move || samples.next().unwrap_or(0.0)),
        );
        let first = s.advance(true).delay.unwrap();
        assert!((first - 1.65).abs() < 1e-9, "{first}");
        // Growth applies to the jittered value: 1.65 * 1.5 = 2.475, then -10 %.
        let second = s.advance(true).delay.unwrap();
        assert!((second - 2.2275).abs() < 1e-9, "{second}");
    }

    #[test]
    fn standard_normal_has_mean_zero_and_unit_spread() {
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| standard_normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert!((var - 1.0).abs() < 0.1, "variance {var}");
    }
}
