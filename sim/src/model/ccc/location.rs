//! `CallerLocation` / `CalleeLocation` of a call record: where a Chinese phone number is
//! registered, as a `省-市` string (seed 003: `山东省-淄博`, `河北省-唐山`).
//!
//! INFERRED and deliberately small: a handful of landline area codes and mobile number blocks
//! (号段, the first 7 digits), not a real number-location database. A mobile number whose block
//! is not listed gets a stable pseudo-location picked from its block (the same number always
//! gets the same place); anything else (short service numbers such as `10086`, extensions, the
//! demo agents' `7000x` phones, foreign numbers) has no location (`""`). Masked numbers work as
//! long as the prefix is visible (`0533128****`).

/// Landline area codes (with the trunk `0`).
const AREA_CODES: &[(&str, &str)] = &[
    ("010", "北京市-北京"),
    ("020", "广东省-广州"),
    ("021", "上海市-上海"),
    ("022", "天津市-天津"),
    ("023", "重庆市-重庆"),
    ("024", "辽宁省-沈阳"),
    ("025", "江苏省-南京"),
    ("027", "湖北省-武汉"),
    ("028", "四川省-成都"),
    ("029", "陕西省-西安"),
    ("0311", "河北省-石家庄"),
    ("0315", "河北省-唐山"),
    ("0351", "山西省-太原"),
    ("0371", "河南省-郑州"),
    ("0431", "吉林省-长春"),
    ("0451", "黑龙江省-哈尔滨"),
    ("0471", "内蒙古自治区-呼和浩特"),
    ("0512", "江苏省-苏州"),
    ("0531", "山东省-济南"),
    ("0532", "山东省-青岛"),
    ("0533", "山东省-淄博"),
    ("0551", "安徽省-合肥"),
    ("0571", "浙江省-杭州"),
    ("0574", "浙江省-宁波"),
    ("0591", "福建省-福州"),
    ("0592", "福建省-厦门"),
    ("0731", "湖南省-长沙"),
    ("0755", "广东省-深圳"),
    ("0757", "广东省-佛山"),
    ("0769", "广东省-东莞"),
    ("0771", "广西壮族自治区-南宁"),
    ("0791", "江西省-南昌"),
    ("0830", "四川省-泸州"),
    ("0851", "贵州省-贵阳"),
    ("0871", "云南省-昆明"),
    ("0891", "西藏自治区-拉萨"),
    ("0898", "海南省-海口"),
    ("0931", "甘肃省-兰州"),
    ("0951", "宁夏回族自治区-银川"),
    ("0971", "青海省-西宁"),
    ("0991", "新疆维吾尔自治区-乌鲁木齐"),
];

/// Mobile number blocks (first 7 digits) with a known place: the seeds' and the tests' numbers.
const MOBILE_BLOCKS: &[(&str, &str)] = &[
    ("1332315", "河北省-唐山"),
    ("1380013", "北京市-北京"),
    ("1390501", "福建省-福州"),
    ("1391111", "北京市-北京"),
    ("1324730", "广东省-广州"),
];

/// Places a mobile block not listed above is spread over (by the block's number).
const MOBILE_FALLBACK: &[&str] = &[
    "北京市-北京",
    "上海市-上海",
    "广东省-广州",
    "广东省-深圳",
    "浙江省-杭州",
    "江苏省-南京",
    "四川省-成都",
    "湖北省-武汉",
    "山东省-济南",
    "河南省-郑州",
    "湖南省-长沙",
    "福建省-福州",
    "陕西省-西安",
    "辽宁省-沈阳",
    "河北省-石家庄",
    "重庆市-重庆",
];

/// The `省-市` of a number, or `""` when it is not a Chinese landline/mobile number.
pub fn location(number: &str) -> String {
    let n = number.trim();
    let n = n.strip_prefix('+').unwrap_or(n);
    let n = match n.strip_prefix("0086").or_else(|| n.strip_prefix("86")) {
        Some(rest) if rest.len() >= 10 => rest,
        _ => n,
    };
    let digit_or_mask = |c: char| c.is_ascii_digit() || c == '*';
    if n.is_empty() || !n.chars().all(digit_or_mask) {
        return String::new();
    }
    let b = n.as_bytes();
    // Mobile: 11 digits, 1[3-9]x.
    if n.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
        let block = &n[..7];
        if let Some((_, place)) = MOBILE_BLOCKS.iter().find(|(p, _)| *p == block) {
            return (*place).to_string();
        }
        return match block.parse::<u64>() {
            Ok(v) => MOBILE_FALLBACK[(v % MOBILE_FALLBACK.len() as u64) as usize].to_string(),
            Err(_) => String::new(),
        };
    }
    // Landline: trunk 0, area code, 7-8 digit subscriber number.
    if b[0] == b'0' && (10..=12).contains(&n.len()) {
        if let Some((_, place)) = AREA_CODES.iter().find(|(code, _)| n.starts_with(code)) {
            return (*place).to_string();
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::location;

    #[test]
    fn seed_numbers_and_fallbacks() {
        assert_eq!(location("0533128****"), "山东省-淄博");
        assert_eq!(location("1332315****"), "河北省-唐山");
        assert_eq!(location("13800138000"), "北京市-北京");
        assert_eq!(location("+8613800138000"), "北京市-北京");
        assert_eq!(location("01012345678"), "北京市-北京");
        // Unlisted mobile block: stable, and one of the fallback places.
        let a = location("15912345678");
        assert!(!a.is_empty());
        assert_eq!(a, location("15912340000"));
        for none in ["10086", "70001", "", "abc", "05990000000", "12345678901"] {
            assert_eq!(location(none), "", "{none}");
        }
    }
}
