//! Public holidays: the days telemarketing to consumers is forbidden besides Saturdays and
//! Sundays (markedsføringsloven § 12: "helligdager og dager som er likestilt med dem").
//! Norway's are built in, the Easter-based ones computed from the Gregorian Easter date;
//! another country's, or a call centre's own closed days, are given as a list of dates.

use std::collections::BTreeMap;
use time::{Date, Duration, Month};

/// A public holiday: its date and its name in bokmål and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Holiday {
    /// The date.
    pub date: Date,
    /// The name in Norwegian bokmål ("Skjærtorsdag").
    pub name_nb: &'static str,
    /// The name in English ("Maundy Thursday").
    pub name_en: &'static str,
}

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous Gregorian algorithm,
/// "Meeus/Jones/Butcher"); `None` for a year the `time` crate cannot hold.
pub fn easter_sunday(year: i32) -> Option<Date> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()
}

/// Norway's public holidays of `year`, by date: New Year's Day, Maundy Thursday, Good
/// Friday, Easter Sunday and Monday, 1 May, 17 May, Ascension Day, Whit Sunday and Monday,
/// Christmas Day and Boxing Day. Empty for a year the `time` crate cannot hold.
pub fn norway(year: i32) -> Vec<Holiday> {
    let Some(easter) = easter_sunday(year) else {
        return Vec::new();
    };
    let fixed = |month, day, name_nb, name_en| {
        Date::from_calendar_date(year, month, day)
            .ok()
            .map(|date| Holiday {
                date,
                name_nb,
                name_en,
            })
    };
    let from_easter = |days: i64, name_nb, name_en| {
        easter
            .checked_add(Duration::days(days))
            .map(|date| Holiday {
                date,
                name_nb,
                name_en,
            })
    };
    let mut days: BTreeMap<Date, Holiday> = BTreeMap::new();
    for holiday in [
        fixed(Month::January, 1, "Første nyttårsdag", "New Year's Day"),
        from_easter(-3, "Skjærtorsdag", "Maundy Thursday"),
        from_easter(-2, "Langfredag", "Good Friday"),
        from_easter(0, "Første påskedag", "Easter Sunday"),
        from_easter(1, "Andre påskedag", "Easter Monday"),
        fixed(Month::May, 1, "Offentlig høytidsdag", "Labour Day"),
        fixed(Month::May, 17, "Grunnlovsdag", "Constitution Day"),
        from_easter(39, "Kristi himmelfartsdag", "Ascension Day"),
        from_easter(49, "Første pinsedag", "Whit Sunday"),
        from_easter(50, "Andre pinsedag", "Whit Monday"),
        fixed(Month::December, 25, "Første juledag", "Christmas Day"),
        fixed(Month::December, 26, "Andre juledag", "Boxing Day"),
    ]
    .into_iter()
    .flatten()
    {
        // Two holidays on one date (Ascension Day on 1 or 17 May): the first named is kept.
        days.entry(holiday.date).or_insert(holiday);
    }
    days.into_values().collect()
}

/// Which days are holidays.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum HolidayCalendar {
    /// Norway's public holidays ([`norway`]).
    #[default]
    Norway,
    /// These dates, named "Closed" (another country's holidays, a call centre's own days).
    Dates(std::collections::BTreeSet<Date>),
    /// No holidays.
    None,
}

impl HolidayCalendar {
    /// The holiday on `date`, if it is one.
    pub fn holiday(&self, date: Date) -> Option<Holiday> {
        match self {
            HolidayCalendar::Norway => norway(date.year()).into_iter().find(|h| h.date == date),
            HolidayCalendar::Dates(dates) => dates.contains(&date).then_some(Holiday {
                date,
                name_nb: "Stengt",
                name_en: "Closed",
            }),
            HolidayCalendar::None => None,
        }
    }
}
