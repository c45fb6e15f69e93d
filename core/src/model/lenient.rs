//! The lenient readers: serde visitors that take Upgates' JSON as it streams by and read a
//! field of the wrong shape as absent (see [`super`]).

use serde::Deserializer;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserialize, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// One JSON value as the lenient fields see it: nested objects and lists are skipped unread,
/// except a PHP date object, whose `date` is kept.
enum Loose {
    Text(String),
    /// A PHP date object's `date`: text, never a number.
    Date(String),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Bool(bool),
    Absent,
}

impl Loose {
    /// A string, a number written as text, or a PHP date object's `date`.
    fn into_text(self) -> Option<String> {
        match self {
            Loose::Text(s) | Loose::Date(s) => Some(s),
            Loose::Unsigned(n) => Some(n.to_string()),
            Loose::Signed(n) => Some(n.to_string()),
            // serde_json's own float formatting, as when the text was read through `Value`.
            Loose::Float(f) => serde_json::Number::from_f64(f).map(|n| n.to_string()),
            Loose::Bool(_) | Loose::Absent => None,
        }
    }

    /// A finite number, or a string holding one (`"1230.50"`, `"1230,50"`).
    fn into_number(self) -> Option<f64> {
        match self {
            Loose::Unsigned(n) => Some(n as f64),
            Loose::Signed(n) => Some(n as f64),
            Loose::Float(f) => Some(f),
            // serde_json's number parser, not `str::parse`: the component then links no second
            // float parser (core's dec2flt and its table). From a slice, as Upgates' bodies are
            // read, not `from_str`: that would instantiate serde_json's reader a second time.
            Loose::Text(s) => serde_json::from_slice(s.trim().replace(',', ".").as_bytes()).ok(),
            Loose::Date(_) | Loose::Bool(_) | Loose::Absent => None,
        }
        .filter(|n: &f64| n.is_finite())
    }

    /// Upgates' `bool`: true/false, 1/0 or "1"/"0".
    fn into_bool(self) -> bool {
        match self {
            Loose::Bool(b) => b,
            Loose::Unsigned(n) => n != 0,
            Loose::Signed(n) => n != 0,
            Loose::Float(f) => f != 0.0,
            Loose::Text(s) => matches!(s.trim(), "1" | "true"),
            Loose::Date(_) | Loose::Absent => false,
        }
    }
}

/// Reads the rest of a map or list a visitor does not want, as serde_json requires.
fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// The scalar cases every lenient visitor answers the same way.
macro_rules! scalars_read_as {
    ($absent:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($absent)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($absent)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($absent)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($absent)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($absent)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($absent)
        }
    };
}

/// Reads a [`Loose`]; `nested` is set inside a date object, where objects and lists are absent.
#[derive(Clone, Copy)]
struct LooseVisitor {
    nested: bool,
}

impl<'de> DeserializeSeed<'de> for LooseVisitor {
    type Value = Loose;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Loose, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Loose, E> {
        Ok(Loose::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Loose, E> {
        Ok(Loose::Signed(n))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Loose, E> {
        Ok(Loose::Unsigned(n))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Loose, E> {
        Ok(Loose::Float(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<Loose, E> {
        Ok(Loose::Text(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Loose, E> {
        Ok(Loose::Text(s))
    }
    fn visit_unit<E>(self) -> Result<Loose, E> {
        Ok(Loose::Absent)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Loose, A::Error> {
        skip_seq(seq)?;
        Ok(Loose::Absent)
    }
    /// A PHP `DateTime` object: `{"date": "2025-03-01 14:24:49.000000", "timezone": ...}`.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
        if self.nested {
            skip_map(map)?;
            return Ok(Loose::Absent);
        }
        let mut date = Loose::Absent;
        while let Some(key) = map.next_key::<String>()? {
            if key == "date" {
                date = match map.next_value_seed(LooseVisitor { nested: true })? {
                    Loose::Text(s) => Loose::Date(s),
                    _ => Loose::Absent,
                };
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(date)
    }
}

/// An object read as `T`; any other shape (PHP's `[]` for an empty object, `null`) as `None`.
struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    scalars_read_as!(None);
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<T>, A::Error> {
        skip_seq(seq)?;
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Some)
    }
}

/// A list item: an object, or nothing.
struct Item<T>(Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Item<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjectVisitor(PhantomData)).map(Item)
    }
}

/// A list whose items are read one by one: an item that is not an object is skipped.
struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }
    scalars_read_as!(Vec::new());
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut items = Vec::new();
        while let Some(Item(item)) = seq.next_element::<Item<T>>()? {
            items.extend(item);
        }
        Ok(items)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<T>, A::Error> {
        skip_map(map)?;
        Ok(Vec::new())
    }
}

fn loose<'de, D: Deserializer<'de>>(d: D) -> Result<Loose, D::Error> {
    d.deserialize_any(LooseVisitor { nested: false })
}

pub(super) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(loose(d)?.into_text())
}

pub(super) fn number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(loose(d)?.into_number())
}

pub(super) fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(number(d)?
        .filter(|n| *n >= 0.0 && *n <= f64::from(u32::MAX))
        .map(|n| n as u32))
}

/// An object as `T`, or `T::default()` when it is not one.
pub(super) fn object<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Item::<T>::deserialize(d)?.0.unwrap_or_default())
}

pub(crate) fn lenient_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_any(ListVisitor(PhantomData))
}

/// Upgates' `bool`: true/false, 1/0 or "1"/"0".
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LenientBool(pub bool);

pub(super) fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<LenientBool, D::Error> {
    Ok(LenientBool(loose(d)?.into_bool()))
}
