//! The within-file duplicate check of an import, exact and small: a row is the same customer
//! as an earlier row of the file when it has that row's external id, organisation number
//! (a company's, compared by its key: `Customer::registry_key`) or one of its phone numbers,
//! and is then rejected naming the earlier row. Every key counts whichever keys the import
//! matches the register by: two rows sharing one would give it to two customers.
//!
//! A million-row file has some two million such keys. Kept as texts in a hash map they cost
//! hundreds of MB, and hashed to 128 bits in a `HashMap` still ~50 bytes a key plus, while
//! the map doubles, the old and the new table together (and a hash is not the key: two keys
//! could share one). [`SeenKeys`] keeps each key exactly, in about 15–30 bytes:
//! - a phone number as the number it is: E.164 is `+` and at most 15 digits, the first not
//!   0, so the digits are a `u64` that no other number has (8 bytes, and its row's 4);
//! - an external id's text once, with its row, in a buffer of 1 MiB blocks (it grows a
//!   block at a time, never copied), found through a slot of 8 bytes (where in the buffer,
//!   and 24 bits of the key's hash so that most misses never read the buffer); a hit is
//!   compared byte for byte, so a hash collision is never taken for a duplicate;
//! - in open-addressing tables (linear probing, at most 4/5 full) split 256 ways by the
//!   key's hash, each part growing by a quarter on its own: growing never holds two copies
//!   of the whole table, and the tables stay between 64% and 80% full.
//!
//! The hash is the standard library's SipHash with keys drawn per check (`RandomState`), so
//! a file cannot be made to pile its keys on one slot.

use crate::rejected_rows::RejectReason;
use cube_domain::customer::Customer;
use std::hash::{BuildHasher, RandomState};

/// The parts each table is split into, by the hash's top byte.
const PARTS: usize = 256;
/// Slots a part starts with once it holds a key.
const FIRST_SLOTS: usize = 16;
/// Bits of a text slot that say where its entry starts in the buffer (plus one: 0 is empty).
const OFFSET_BITS: u32 = 40;
/// Bits of a text slot holding part of the key's hash.
const TAG_BITS: u32 = 24;
const TAG_MASK: u64 = (1 << TAG_BITS) - 1;
/// The most bytes of entries the buffer holds (1 TiB: far more than any file the server
/// takes, which holds every external id it has).
const MAX_BUFFER: usize = (1 << OFFSET_BITS) - 2;
/// The bytes of a block of the buffer; an entry never spans two.
const BLOCK: usize = 1 << 20;

/// The kinds of text key (a phone number is a text key only if it were no E.164 number).
const EXTERNAL_ID: u8 = 0;
const PHONE_TEXT: u8 = 1;
/// A company's organisation number, as its key (`Customer::registry_key`).
const REGISTRY: u8 = 2;

/// Why a customer's keys are not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clash {
    /// An earlier row has one of its keys: that row.
    SameAs(usize),
    /// Past what the check holds: a row number past `u32::MAX`, or more than 1 TiB of
    /// external ids.
    TooLarge,
}

/// Why a row is rejected when its keys clash, as the import's report says it.
pub(crate) fn clash_reason(clash: Clash) -> RejectReason {
    match clash {
        Clash::SameAs(first) => RejectReason::SameAs(first),
        Clash::TooLarge => RejectReason::PastDuplicateCheck,
    }
}

/// The keys of the rows taken so far, each with the first row that had it.
#[derive(Debug)]
pub(crate) struct SeenKeys<S = RandomState> {
    hasher: S,
    phones: Vec<Phones>,
    texts: Vec<Texts>,
    buffer: Buffer,
}

/// Text keys' entries — kind (1 byte), row (4, little-endian), length (LEB128), bytes — in
/// blocks of [`BLOCK`] bytes; an entry is found by its offset over all the blocks.
#[derive(Debug, Default)]
struct Buffer {
    blocks: Vec<Vec<u8>>,
}

impl Buffer {
    /// The offset the next entry would have if it fits the last block.
    fn end(&self) -> usize {
        self.blocks
            .last()
            .map_or(0, |last| (self.blocks.len() - 1) * BLOCK + last.len())
    }

    /// Appends an entry; its offset.
    fn push(&mut self, kind: u8, row: u32, text: &[u8]) -> usize {
        let len = entry_len(text);
        let last = match self.blocks.last_mut() {
            Some(last) if last.len() + len <= BLOCK => last,
            _ => {
                self.blocks.push(Vec::with_capacity(BLOCK));
                let new = self.blocks.len() - 1;
                &mut self.blocks[new]
            }
        };
        let at = last.len();
        last.push(kind);
        last.extend_from_slice(&row.to_le_bytes());
        let mut left = text.len();
        loop {
            let byte = (left & 0x7F) as u8;
            left >>= 7;
            if left == 0 {
                last.push(byte);
                break;
            }
            last.push(byte | 0x80);
        }
        last.extend_from_slice(text);
        (self.blocks.len() - 1) * BLOCK + at
    }

    /// The entry at offset `at`: its kind, row and bytes.
    fn entry(&self, at: usize) -> (u8, u32, &[u8]) {
        entry(&self.blocks[at / BLOCK], at % BLOCK)
    }
}

/// A part of the phone table: a number's digits (0: empty) and its row, slot by slot.
#[derive(Debug, Default)]
struct Phones {
    codes: Vec<u64>,
    rows: Vec<u32>,
    len: usize,
}

/// A part of the text table: per slot, where the entry is (plus one) and a tag of its hash.
#[derive(Debug, Default)]
struct Texts {
    slots: Vec<u64>,
    len: usize,
}

/// One key of a customer.
#[derive(Debug, Clone, Copy)]
enum Key<'a> {
    Phone(u64),
    Text(u8, &'a [u8]),
}

/// A phone number's digits as a number: `+` and up to 19 digits, else `None`.
fn phone_code(phone: &str) -> Option<u64> {
    let digits = phone.strip_prefix('+')?;
    let valid = !digits.is_empty()
        && digits.len() <= 19
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        return None;
    }
    digits.parse().ok()
}

/// A customer's keys: its external id, its organisation number's key, then its phone
/// numbers.
fn keys_of<'a>(
    external_id: Option<&'a str>,
    registry: Option<&'a str>,
    phones: impl IntoIterator<Item = &'a str>,
) -> Vec<Key<'a>> {
    external_id
        .map(|e| Key::Text(EXTERNAL_ID, e.as_bytes()))
        .into_iter()
        .chain(registry.map(|r| Key::Text(REGISTRY, r.as_bytes())))
        .chain(
            phones
                .into_iter()
                .map(|p| phone_code(p).map_or(Key::Text(PHONE_TEXT, p.as_bytes()), Key::Phone)),
        )
        .collect()
}

/// The part of a table a hash falls in.
fn part_of(hash: u64) -> usize {
    (hash >> 56) as usize
}

/// A hash's first slot in a part of `slots` slots (the low 32 bits scaled to the range).
fn home(hash: u64, slots: usize) -> usize {
    (((hash & 0xFFFF_FFFF) * slots as u64) >> 32) as usize
}

/// The slots after a part of `slots` slots grows (a quarter more, at least the first size).
fn grown(slots: usize) -> usize {
    (slots + slots / 4).max(FIRST_SLOTS)
}

/// Whether a part of `slots` slots holding `len` keys must grow before taking one more.
fn full(len: usize, slots: usize) -> bool {
    (len + 1) * 5 > slots * 4
}

/// An entry of a block at `at`: its kind, row and bytes.
fn entry(buffer: &[u8], at: usize) -> (u8, u32, &[u8]) {
    let kind = buffer[at];
    let mut row = [0u8; 4];
    row.copy_from_slice(&buffer[at + 1..at + 5]);
    let (mut len, mut shift, mut i) = (0usize, 0, at + 5);
    loop {
        let byte = buffer[i];
        len |= usize::from(byte & 0x7F) << shift;
        i += 1;
        if byte < 0x80 {
            break;
        }
        shift += 7;
    }
    (kind, u32::from_le_bytes(row), &buffer[i..i + len])
}

/// The bytes an entry of `text` takes in the buffer.
fn entry_len(text: &[u8]) -> usize {
    let mut len_bytes = 1;
    let mut len = text.len() >> 7;
    while len > 0 {
        len_bytes += 1;
        len >>= 7;
    }
    5 + len_bytes + text.len()
}

impl SeenKeys<RandomState> {
    /// An empty check, with hash keys of its own.
    pub(crate) fn new() -> Self {
        Self::with_hasher(RandomState::new())
    }
}

impl<S: BuildHasher> SeenKeys<S> {
    /// An empty check hashing with `hasher`.
    pub(crate) fn with_hasher(hasher: S) -> Self {
        Self {
            hasher,
            phones: (0..PARTS).map(|_| Phones::default()).collect(),
            texts: (0..PARTS).map(|_| Texts::default()).collect(),
            buffer: Buffer::default(),
        }
    }

    /// Takes `customer`'s keys for `row`, or says why not: an earlier row has one of them
    /// (that row; none of the keys is taken then), or the check is full.
    pub(crate) fn claim(&mut self, customer: &Customer, row: usize) -> Result<(), Clash> {
        let details = customer.details();
        let registry = customer.registry_key();
        self.claim_all(
            details.external_id.as_deref(),
            registry.as_deref(),
            details.phones.iter().map(|p| p.as_str()),
            row,
        )
    }

    /// [`Self::claim`] of an external id and E.164 phone numbers.
    #[cfg(test)]
    fn claim_keys<'a>(
        &mut self,
        external_id: Option<&'a str>,
        phones: impl IntoIterator<Item = &'a str>,
        row: usize,
    ) -> Result<(), Clash> {
        self.claim_all(external_id, None, phones, row)
    }

    /// [`Self::claim`] of the keys themselves: an external id, an organisation number's key
    /// and E.164 phone numbers.
    fn claim_all<'a>(
        &mut self,
        external_id: Option<&'a str>,
        registry: Option<&'a str>,
        phones: impl IntoIterator<Item = &'a str>,
        row: usize,
    ) -> Result<(), Clash> {
        let keys = keys_of(external_id, registry, phones);
        if let Some(first) = keys.iter().find_map(|key| self.find(*key)) {
            return Err(Clash::SameAs(first));
        }
        let row = u32::try_from(row).map_err(|_| Clash::TooLarge)?;
        // Room for every entry, each allowed to open a block of its own.
        let mut room = 0;
        for key in &keys {
            if let Key::Text(_, text) = key {
                let len = entry_len(text);
                if len > BLOCK {
                    return Err(Clash::TooLarge);
                }
                room += len + BLOCK;
            }
        }
        if self.buffer.end() + room > MAX_BUFFER {
            return Err(Clash::TooLarge);
        }
        for key in keys {
            match key {
                Key::Phone(code) => self.insert_phone(code, row),
                Key::Text(kind, text) => self.insert_text(kind, text, row),
            }
        }
        Ok(())
    }

    /// The heap bytes the check holds (what its memory grows with).
    #[cfg(test)]
    pub(crate) fn heap_bytes(&self) -> usize {
        let phones: usize = self
            .phones
            .iter()
            .map(|p| p.codes.capacity() * 8 + p.rows.capacity() * 4)
            .sum();
        let texts: usize = self.texts.iter().map(|t| t.slots.capacity() * 8).sum();
        let buffer: usize = self.buffer.blocks.iter().map(Vec::capacity).sum();
        phones + texts + buffer
    }

    fn text_hash(&self, kind: u8, text: &[u8]) -> u64 {
        self.hasher.hash_one((kind, text))
    }

    /// The first row that had `key`, if any.
    fn find(&self, key: Key<'_>) -> Option<usize> {
        match key {
            Key::Phone(code) => {
                let hash = self.hasher.hash_one(code);
                let part = &self.phones[part_of(hash)];
                let slots = part.codes.len();
                if slots == 0 {
                    return None;
                }
                let mut i = home(hash, slots);
                loop {
                    match part.codes[i] {
                        0 => return None,
                        c if c == code => return Some(part.rows[i] as usize),
                        _ => i = if i + 1 == slots { 0 } else { i + 1 },
                    }
                }
            }
            Key::Text(kind, text) => {
                let hash = self.text_hash(kind, text);
                let tag = (hash >> 32) & TAG_MASK;
                let part = &self.texts[part_of(hash)];
                let slots = part.slots.len();
                if slots == 0 {
                    return None;
                }
                let mut i = home(hash, slots);
                loop {
                    let slot = part.slots[i];
                    if slot == 0 {
                        return None;
                    }
                    if slot & TAG_MASK == tag {
                        let at = (slot >> TAG_BITS) as usize - 1;
                        let (k, row, bytes) = self.buffer.entry(at);
                        // The exact re-check: a shared hash is not a shared key.
                        if k == kind && bytes == text {
                            return Some(row as usize);
                        }
                    }
                    i = if i + 1 == slots { 0 } else { i + 1 };
                }
            }
        }
    }

    /// Records a phone number not yet recorded.
    fn insert_phone(&mut self, code: u64, row: u32) {
        let hash = self.hasher.hash_one(code);
        let Self { hasher, phones, .. } = self;
        let part = &mut phones[part_of(hash)];
        if full(part.len, part.codes.len()) {
            let slots = grown(part.codes.len());
            let codes = std::mem::replace(&mut part.codes, vec![0; slots]);
            let rows = std::mem::replace(&mut part.rows, vec![0; slots]);
            for (code, row) in codes.into_iter().zip(rows).filter(|(c, _)| *c != 0) {
                place_phone(part, hasher.hash_one(code), code, row);
            }
        }
        place_phone(part, hash, code, row);
        part.len += 1;
    }

    /// Records a text key not yet recorded: its entry at the buffer's end, a slot to it.
    fn insert_text(&mut self, kind: u8, text: &[u8], row: u32) {
        let hash = self.text_hash(kind, text);
        let at = self.buffer.push(kind, row, text);
        let Self {
            hasher,
            texts,
            buffer,
            ..
        } = self;
        let part = &mut texts[part_of(hash)];
        if full(part.len, part.slots.len()) {
            let slots = grown(part.slots.len());
            let old = std::mem::replace(&mut part.slots, vec![0; slots]);
            for slot in old.into_iter().filter(|s| *s != 0) {
                let (kind, _, bytes) = buffer.entry((slot >> TAG_BITS) as usize - 1);
                place_text(part, hasher.hash_one((kind, bytes)), slot);
            }
        }
        let slot = ((at as u64 + 1) << TAG_BITS) | ((hash >> 32) & TAG_MASK);
        place_text(part, hash, slot);
        part.len += 1;
    }
}

/// Puts a phone number in the first free slot from its home (the part has room).
fn place_phone(part: &mut Phones, hash: u64, code: u64, row: u32) {
    let slots = part.codes.len();
    let mut i = home(hash, slots);
    while part.codes[i] != 0 {
        i = if i + 1 == slots { 0 } else { i + 1 };
    }
    part.codes[i] = code;
    part.rows[i] = row;
}

/// Puts a text slot in the first free slot from its home (the part has room).
fn place_text(part: &mut Texts, hash: u64, slot: u64) {
    let slots = part.slots.len();
    let mut i = home(hash, slots);
    while part.slots[i] != 0 {
        i = if i + 1 == slots { 0 } else { i + 1 };
    }
    part.slots[i] = slot;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasherDefault, Hasher};

    /// A hasher that gives every key the same hash: every key lands on one slot run, so
    /// only the exact comparison tells keys apart.
    #[derive(Default)]
    struct Constant;
    impl Hasher for Constant {
        fn finish(&self) -> u64 {
            0x0123_4567_89AB_CDEF
        }
        fn write(&mut self, _: &[u8]) {}
    }

    fn check<S: BuildHasher>(mut seen: SeenKeys<S>) {
        assert_eq!(seen.claim_keys(Some("A-1"), ["+4791234567"], 2), Ok(()));
        assert_eq!(seen.claim_keys(Some("A-2"), ["+4791234568"], 3), Ok(()));
        // The same external id, the same phone: the first row that had it.
        assert_eq!(
            seen.claim_keys(Some("A-1"), ["+4799999999"], 4),
            Err(Clash::SameAs(2))
        );
        assert_eq!(
            seen.claim_keys(None, ["+4799999990", "+4791234568"], 5),
            Err(Clash::SameAs(3))
        );
        // A rejected row's keys are not taken: its phones are free for a later row.
        assert_eq!(seen.claim_keys(None, ["+4799999999"], 6), Ok(()));
        assert_eq!(seen.claim_keys(None, ["+4799999990"], 7), Ok(()));
        // A text that is a prefix of another, an external id that reads as a phone number, a
        // phone that is no E.164 number and the same text as an external id: other keys.
        assert_eq!(seen.claim_keys(Some("A-"), [], 8), Ok(()));
        assert_eq!(seen.claim_keys(Some("+4791234567"), [], 9), Ok(()));
        assert_eq!(seen.claim_keys(Some("B"), [], 10), Ok(()));
        assert_eq!(seen.claim_keys(None, ["B"], 11), Ok(()));
        assert_eq!(seen.claim_keys(Some("A-"), [], 12), Err(Clash::SameAs(8)));
        assert_eq!(seen.claim_keys(None, ["B"], 13), Err(Clash::SameAs(11)));
    }

    #[test]
    fn the_first_row_of_a_key_is_found_and_nothing_else() {
        check(SeenKeys::new());
    }

    #[test]
    fn keys_sharing_a_hash_are_told_apart_by_their_text() {
        check(SeenKeys::with_hasher(
            BuildHasherDefault::<Constant>::default(),
        ));
        // Many keys on one hash, through several growths: each found, none mistaken.
        let mut seen = SeenKeys::with_hasher(BuildHasherDefault::<Constant>::default());
        let phone = |n: usize| format!("+4790{n:06}");
        for n in 0..300 {
            let id = format!("ext-{n}");
            assert_eq!(
                seen.claim_keys(Some(&id), [phone(n).as_str()], n + 2),
                Ok(())
            );
        }
        for n in 0..300 {
            let id = format!("ext-{n}");
            assert_eq!(
                seen.claim_keys(Some(&id), [], 1000),
                Err(Clash::SameAs(n + 2)),
                "{id}"
            );
            assert_eq!(
                seen.claim_keys(None, [phone(n).as_str()], 1000),
                Err(Clash::SameAs(n + 2)),
                "{id}"
            );
        }
        assert_eq!(seen.claim_keys(Some("ext-300"), [], 1000), Ok(()));
    }

    /// Two hundred thousand rows of an external id and a phone each: every key found again
    /// with its own row, and the memory a small multiple of the keys (the map of hashed keys
    /// this replaces held ~50 bytes a key, ~75 while it doubled).
    #[test]
    fn many_keys_are_found_again_in_little_memory() {
        let mut seen = SeenKeys::new();
        let rows = 200_000;
        let id = |n: usize| format!("K{n:07}");
        let phone = |n: usize| format!("+479{n:07}");
        for n in 0..rows {
            assert_eq!(
                seen.claim_keys(Some(&id(n)), [phone(n).as_str()], n + 2),
                Ok(())
            );
        }
        for n in (0..rows).step_by(997) {
            assert_eq!(
                seen.claim_keys(Some(&id(n)), [], 1),
                Err(Clash::SameAs(n + 2))
            );
            assert_eq!(
                seen.claim_keys(None, [phone(n).as_str()], 1),
                Err(Clash::SameAs(n + 2))
            );
        }
        let per_key = seen.heap_bytes() as f64 / (2 * rows) as f64;
        assert!(per_key < 24.0, "{per_key:.1} bytes a key");
    }

    #[test]
    fn a_row_number_past_u32_is_refused_not_wrapped() {
        let mut seen = SeenKeys::new();
        let too_far = usize::try_from(u64::from(u32::MAX) + 1).unwrap_or(usize::MAX);
        assert_eq!(
            seen.claim_keys(Some("A"), [], too_far),
            Err(Clash::TooLarge)
        );
        assert_eq!(
            seen.claim_keys(Some("A"), [], 2),
            Ok(()),
            "nothing was taken"
        );
    }

    #[test]
    fn phone_digits_are_a_number_only_in_e164_shape() {
        assert_eq!(phone_code("+4791234567"), Some(4_791_234_567));
        assert_eq!(phone_code("4791234567"), None);
        assert_eq!(phone_code("+0791234567"), None);
        assert_eq!(phone_code("+47 912"), None);
        assert_eq!(phone_code("+"), None);
    }

    /// Entries fill a block and go on in the next, none across two; each read back.
    #[test]
    fn entries_past_a_block_are_found_in_the_next() {
        let mut seen = SeenKeys::new();
        let id = |n: usize| format!("{n:0>190}");
        let rows = 2 * BLOCK / entry_len(id(0).as_bytes()) + 7;
        for n in 0..rows {
            assert_eq!(seen.claim_keys(Some(&id(n)), [], n + 2), Ok(()));
        }
        assert_eq!(seen.buffer.blocks.len(), 3);
        assert!(seen.buffer.blocks.iter().all(|b| b.len() <= BLOCK));
        for n in 0..rows {
            assert_eq!(
                seen.claim_keys(Some(&id(n)), [], 1),
                Err(Clash::SameAs(n + 2))
            );
        }
    }

    #[test]
    fn an_entry_reads_back_long_texts() {
        let mut seen = SeenKeys::new();
        let long = "x".repeat(200);
        assert_eq!(seen.claim_keys(Some(&long), [], 2), Ok(()));
        assert_eq!(entry_len(long.as_bytes()), 5 + 2 + 200);
        assert_eq!(seen.buffer.entry(0), (EXTERNAL_ID, 2, long.as_bytes()));
        assert_eq!(seen.claim_keys(Some(&long), [], 3), Err(Clash::SameAs(2)));
    }

    #[test]
    fn an_organisation_number_is_a_key_of_its_own_kind() {
        let mut seen = SeenKeys::new();
        assert_eq!(
            seen.claim_all(None, Some("974760673"), ["+4791234567"], 2),
            Ok(())
        );
        // The same text as an external id is another key.
        assert_eq!(seen.claim_all(Some("974760673"), None, [], 3), Ok(()));
        assert_eq!(
            seen.claim_all(Some("B-1"), Some("974760673"), ["+4791234500"], 4),
            Err(Clash::SameAs(2))
        );
        assert_eq!(seen.claim_all(None, Some("923609016"), [], 5), Ok(()));
    }
}
