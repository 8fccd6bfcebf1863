//! Activity limits: progress towards each of the assignment's all-to-date caps (hours, yes,
//! conclusions, products sold, meetings), and whether a hard stop ends "next customer".
//!
//! The values come from the all-to-date activity (an outcome tally from the beginning of
//! time) and the assignment's hours to date.

use super::historical::ActivitySummary;
use super::percent_of;
use crate::assignment::setup::{ActivityLimit, LimitMetric, LimitMode};
use rust_decimal::Decimal;
use serde::Serialize;

/// Progress towards one limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LimitProgress {
    /// What is counted.
    pub metric: LimitMetric,
    /// The cap.
    pub limit: Decimal,
    /// Indicator or hard stop.
    pub mode: LimitMode,
    /// The value to date.
    pub value: Decimal,
    /// value / limit × 100, 2 decimals (may pass 100); `None` for a cap that is not
    /// positive.
    pub percent: Option<Decimal>,
    /// Whether the value has reached the cap. A cap that is not positive is never reached
    /// (setup refuses it; this only keeps a bad row from stopping work).
    pub reached: bool,
}

/// Progress towards each limit, in the order given, from the assignment's activity and
/// hours to date (exact, from summed durations: `reached` compares the exact value, and
/// only the `value` shown is rounded, to four places).
pub fn limit_progress(
    limits: &[ActivityLimit],
    activity: &ActivitySummary,
    hours: Decimal,
) -> Vec<LimitProgress> {
    limits
        .iter()
        .map(|limit| {
            let value = match limit.metric {
                LimitMetric::Hours => hours,
                LimitMetric::Yes => Decimal::from(activity.yes),
                LimitMetric::Conclusions => Decimal::from(activity.conclusions),
                LimitMetric::ProductsSold => Decimal::from(activity.products_sold),
                LimitMetric::Meetings => Decimal::from(activity.meetings),
            };
            LimitProgress {
                metric: limit.metric,
                limit: limit.limit,
                mode: limit.mode,
                value: value.round_dp(4),
                percent: percent_of(value, limit.limit),
                reached: limit.limit > Decimal::ZERO && value >= limit.limit,
            }
        })
        .collect()
}

/// Whether a hard-stop limit has been reached, so "next customer" must stop handing out this
/// assignment's customers. Indicator limits never stop anything.
pub fn hard_stop_reached(
    limits: &[ActivityLimit],
    activity: &ActivitySummary,
    hours: Decimal,
) -> bool {
    limit_progress(limits, activity, hours)
        .iter()
        .any(|p| p.mode == LimitMode::HardStop && p.reached)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::historical::{activity, tally_outcomes};
    use crate::reports::testing::*;
    use proptest::prelude::*;
    use rust_decimal::dec;

    fn limit(metric: LimitMetric, cap: Decimal, mode: LimitMode) -> ActivityLimit {
        ActivityLimit {
            metric,
            limit: cap,
            mode,
        }
    }

    /// 3 yes, 1 no, 2 meetings, 12.5 hours.
    fn to_date() -> (ActivitySummary, Decimal) {
        let events = [
            event(1, O_SALE, LEAD, 1),
            event(2, O_SALE, LEAD, 2),
            event(3, O_SALE, LEAD, 3),
            event(4, O_NO_SALE, LEAD, 4),
            with_meeting(event(5, O_LEAD, TO_CALL, 5), 5),
            with_meeting(event(6, O_LEAD, TO_CALL, 6), 6),
        ];
        (activity(&tally_outcomes(&events)), dec!(12.5))
    }

    #[test]
    fn percent_and_reached_by_hand() {
        let (activity, hours) = to_date();
        let limits = [
            limit(LimitMetric::Yes, dec!(4), LimitMode::Indicator),
            limit(LimitMetric::Conclusions, dec!(4), LimitMode::Indicator),
            limit(LimitMetric::Hours, dec!(10), LimitMode::Indicator),
            limit(LimitMetric::Meetings, dec!(3), LimitMode::Indicator),
            limit(LimitMetric::ProductsSold, dec!(1), LimitMode::Indicator),
        ];
        let got: Vec<_> = limit_progress(&limits, &activity, hours)
            .into_iter()
            .map(|p| (p.value, p.percent, p.reached))
            .collect();
        assert_eq!(
            got,
            [
                (dec!(3), Some(dec!(75)), false),
                (dec!(4), Some(dec!(100)), true),
                (dec!(12.5), Some(dec!(125)), true),
                (dec!(2), Some(dec!(66.67)), false),
                (dec!(0), Some(dec!(0)), false),
            ]
        );
    }

    #[test]
    fn only_a_reached_hard_stop_stops() {
        let (activity, hours) = to_date();
        let reached_indicator = limit(LimitMetric::Yes, dec!(3), LimitMode::Indicator);
        let open_stop = limit(LimitMetric::Yes, dec!(5), LimitMode::HardStop);
        let reached_stop = limit(LimitMetric::Hours, dec!(12.5), LimitMode::HardStop);
        assert!(!hard_stop_reached(
            &[reached_indicator, open_stop.clone()],
            &activity,
            hours
        ));
        assert!(hard_stop_reached(
            &[open_stop, reached_stop],
            &activity,
            hours
        ));
        assert!(!hard_stop_reached(&[], &activity, hours));
    }

    #[test]
    fn a_cap_of_zero_has_no_percent_and_never_stops() {
        let zero = limit(LimitMetric::Yes, Decimal::ZERO, LimitMode::HardStop);
        let limits = [zero];
        let nothing = ActivitySummary::default();
        let progress = limit_progress(&limits, &nothing, Decimal::ZERO);
        assert_eq!(progress[0].percent, None);
        assert!(!progress[0].reached);
        assert!(!hard_stop_reached(&limits, &nothing, Decimal::ZERO));
    }

    proptest! {
        #[test]
        fn reached_means_percent_of_at_least_100(
            events in prop::collection::vec(any_event(), 0..40),
            cap in 1i64..20,
            hours in 0i64..4000,
        ) {
            let activity = activity(&tally_outcomes(&events));
            let limits: Vec<_> = [
                LimitMetric::Hours,
                LimitMetric::Yes,
                LimitMetric::Conclusions,
                LimitMetric::ProductsSold,
                LimitMetric::Meetings,
            ]
            .into_iter()
            .map(|m| limit(m, Decimal::from(cap), LimitMode::HardStop))
            .collect();
            let progress = limit_progress(&limits, &activity, Decimal::new(hours, 2));
            for p in &progress {
                let percent = p.percent.expect("a positive cap has a percent");
                prop_assert_eq!(p.reached, p.value >= p.limit);
                prop_assert!(percent >= Decimal::ZERO);
                if p.reached {
                    prop_assert!(percent >= Decimal::ONE_HUNDRED);
                }
            }
            prop_assert_eq!(
                hard_stop_reached(&limits, &activity, Decimal::new(hours, 2)),
                progress.iter().any(|p| p.reached)
            );
        }
    }
}
