//! The product catalogue of a data owner. Prices are `Decimal` in a named currency.
//!
//! Prices and quantities are bounded ([`MAX_UNIT_PRICE`], [`PRICE_DECIMALS`],
//! [`MAX_QUANTITY`]) so a product line's value (at most 10^13) and any report's sum of them
//! stay exact in a `Decimal` and in every store's integer minor units.

use crate::ids::{DataOwnerId, ProductId};
use crate::values::Name;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The highest unit price a product or a product line may have (in its currency's units).
pub const MAX_UNIT_PRICE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
/// The most decimal places a unit price may have (øre, cents).
pub const PRICE_DECIMALS: u32 = 2;
/// The most units one product line may have.
pub const MAX_QUANTITY: u32 = 10_000;

/// Why a unit price is out of bounds.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PriceError {
    /// Below zero.
    #[error("must be zero or more, got {0}")]
    Negative(Decimal),
    /// Above [`MAX_UNIT_PRICE`].
    #[error("must be at most 1000000000, got {0}")]
    TooHigh(Decimal),
    /// More than [`PRICE_DECIMALS`] decimal places.
    #[error("may have at most 2 decimal places, got {0}")]
    TooPrecise(Decimal),
}

/// Checks a unit price: 0 to [`MAX_UNIT_PRICE`], at most [`PRICE_DECIMALS`] decimals.
pub fn check_unit_price(price: Decimal) -> Result<(), PriceError> {
    if price.is_sign_negative() && !price.is_zero() {
        return Err(PriceError::Negative(price));
    }
    if price > MAX_UNIT_PRICE {
        return Err(PriceError::TooHigh(price));
    }
    if price.normalize().scale() > PRICE_DECIMALS {
        return Err(PriceError::TooPrecise(price));
    }
    Ok(())
}

/// Why a product was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProductError {
    /// The unit price is out of bounds.
    #[error("`unit_price` {0}")]
    Price(#[from] PriceError),
    /// Currency codes are three upper-case letters.
    #[error("currency '{0}' is not an ISO 4217 code such as NOK or EUR")]
    Currency(String),
    /// Codes are short and non-empty.
    #[error("product code must be 1 to 64 characters")]
    Code,
}

/// An ISO 4217 currency code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    /// Parses `NOK`, `EUR`, ….
    pub fn parse(raw: &str) -> Result<Self, ProductError> {
        let raw = raw.trim();
        if raw.len() == 3 && raw.chars().all(|c| c.is_ascii_uppercase()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ProductError::Currency(raw.to_owned()))
        }
    }
    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Decimals of the currency's minor unit (ISO 4217): 2 for NOK, EUR, USD…; 0 for the
    /// currencies without one (JPY, ISK, KRW…); 3 for BHD, JOD, KWD, OMR, TND, LYD, IQD.
    pub fn minor_units(&self) -> u32 {
        match self.0.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF"
            | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }

    /// An amount in this currency with exactly its minor unit's decimals (`1497` NOK is
    /// `1497.00`), rounded half to even where it has more: money keeps its currency's scale
    /// whatever store or sum it came from.
    pub fn amount(&self, value: Decimal) -> Decimal {
        let mut value = value.round_dp(self.minor_units());
        value.rescale(self.minor_units());
        value
    }
}

impl TryFrom<String> for Currency {
    type Error = ProductError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.0
    }
}

/// A product in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    id: ProductId,
    data_owner: DataOwnerId,
    name: Name,
    code: String,
    unit_price: Decimal,
    currency: Currency,
    active: bool,
}

impl Product {
    /// A new, active product.
    pub fn new(
        id: ProductId,
        data_owner: DataOwnerId,
        name: Name,
        code: &str,
        unit_price: Decimal,
        currency: Currency,
    ) -> Result<Self, ProductError> {
        let code = code.trim();
        if code.is_empty() || code.chars().count() > 64 {
            return Err(ProductError::Code);
        }
        check_unit_price(unit_price)?;
        Ok(Self {
            id,
            data_owner,
            name,
            code: code.to_owned(),
            unit_price,
            currency,
            active: true,
        })
    }

    /// The id.
    pub fn id(&self) -> ProductId {
        self.id
    }
    /// The data owner.
    pub fn data_owner(&self) -> DataOwnerId {
        self.data_owner
    }
    /// The name.
    pub fn name(&self) -> &Name {
        &self.name
    }
    /// The product code.
    pub fn code(&self) -> &str {
        &self.code
    }
    /// The list price of one unit.
    pub fn unit_price(&self) -> Decimal {
        self.unit_price
    }
    /// The currency of the price.
    pub fn currency(&self) -> &Currency {
        &self.currency
    }
    /// Whether it can be sold.
    pub fn active(&self) -> bool {
        self.active
    }
    /// Stops or resumes selling it.
    pub fn set_active(&mut self, active: bool) {
        self.active = active;
    }
    /// Changes its name, code and list price under the rules of [`Product::new`]. Past sales
    /// keep the price they were sold at: an outcome event holds its own copy of each line.
    pub fn edit(
        &mut self,
        name: Name,
        code: &str,
        unit_price: Decimal,
        currency: Currency,
    ) -> Result<(), ProductError> {
        let edited = Self::new(self.id, self.data_owner, name, code, unit_price, currency)?;
        *self = Self {
            active: self.active,
            ..edited
        };
        Ok(())
    }
}
