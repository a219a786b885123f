//! The unified social credit code (统一社会信用代码), GB 32100-2015.
//!
//! 18 characters from a 31-symbol alphabet (digits and capitals without I, O, Z, S, V); the last
//! is a check character computed from the first 17 with weights 3^i mod 31.

use crate::ValidationError;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn value_of(c: char) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&a| a as char == c)
        .map(|p| p as u32)
}

/// The check character for the first 17 characters of a code.
pub fn check_character(first17: &str) -> Option<char> {
    let mut sum = 0;
    let mut count = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += value_of(c)? * w;
        count += 1;
    }
    if count != 17 || first17.chars().count() != 17 {
        return None;
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize] as char)
}

/// Validates a code, upper-casing it first (people type it in lower case too).
pub fn validate(field: &'static str, code: &str) -> Result<String, ValidationError> {
    let code = code.trim().to_uppercase();
    let len = code.chars().count();
    if len != 18 {
        return Err(ValidationError::CreditCodeLength { field, len });
    }
    if let Some((i, c)) = code
        .chars()
        .enumerate()
        .find(|(_, c)| value_of(*c).is_none())
    {
        return Err(ValidationError::CreditCodeCharacter {
            field,
            position: i + 1,
            found: c,
        });
    }
    let expected = check_character(&code[..17]).expect("17 valid characters");
    let found = code.chars().last().expect("18 characters");
    if expected != found {
        return Err(ValidationError::CreditCodeCheck {
            field,
            expected,
            found,
        });
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Published codes of well-known companies, check characters as issued.
    const REAL: &[&str] = &[
        "91350100M000100Y43",
        "914403001922038216",
        "91110000802100433B",
    ];

    #[test]
    fn accepts_published_codes() {
        for code in REAL {
            assert_eq!(
                validate("credit_code", code).as_deref(),
                Ok(*code),
                "{code}"
            );
        }
    }

    #[test]
    fn lower_case_is_normalised() {
        assert_eq!(
            validate("credit_code", "91110000802100433b").unwrap(),
            "91110000802100433B"
        );
    }

    #[test]
    fn wrong_check_character_names_the_expected_one() {
        let err = validate("credit_code", "91110000802100433C").unwrap_err();
        assert_eq!(
            err,
            ValidationError::CreditCodeCheck {
                field: "credit_code",
                expected: 'B',
                found: 'C'
            }
        );
        assert!(err.to_string().contains("校验位"));
    }

    #[test]
    fn wrong_length_and_characters() {
        assert_eq!(
            validate("credit_code", "9111").unwrap_err(),
            ValidationError::CreditCodeLength {
                field: "credit_code",
                len: 4
            }
        );
        assert_eq!(
            validate("credit_code", "9111000080210043IB").unwrap_err(),
            ValidationError::CreditCodeCharacter {
                field: "credit_code",
                position: 17,
                found: 'I'
            }
        );
    }
}
