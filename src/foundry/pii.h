// PII redaction for training data: finds personal data in text and replaces each span with the
// placeholder that EXAONE's vocabulary has a token for.
//
//   PI:EMAIL         e-mail addresses
//   PI:PHONE_NUM     Korean mobile, landline, 070 and 15xx/16xx/18xx numbers; +82 and other
//                    international (E.164) numbers
//   PI:ID            Korean resident registration numbers (주민등록번호)
//   PI:ACCOUNT_NUM   payment card numbers
//   PI:IP_ADDRESS    IPv4 and IPv6 addresses
//   PI:URL           URLs carrying credentials (scheme://user:password@host...)
//   PI:BUSINESS_NUM  Korean business registration numbers (사업자등록번호)
//
// The scanners are hand-written and run in one left-to-right pass in linear time. The pass
// stops only at trigger bytes (digits, '@', ':', '+', '('), found sixteen bytes at a time where
// SSE2 exists; a recognizer then runs for what the trigger can start: a number at a word that
// begins with a digit, an e-mail around '@', a URL around "://", an IPv6 address from its first
// ':' (or first digit), a phone number at '+' or '('. Any bytes are accepted; the text is never
// decoded, and every byte outside ASCII counts as a boundary, so Korean particles written
// straight after PII ("010-1234-5678입니다") do not hide it.
//
// What counts, and the choices made:
// - A number must stand alone: no letter, digit or '_' right before or after it, no '@' after it
//   (then it is an e-mail's local part), and it must not continue a digit structure ("1-", "1.",
//   "1:" or '+' before it; "-5", ".5" after it). A number that fits several kinds is taken as the
//   first of: IPv4, card, resident number, business number, phone, IPv6.
// - E-mail: local part [A-Za-z0-9._%+-]{1,64}, not starting or ending with '.', no ".." (a run of
//   dots before the address is punctuation: "see...kim@x.com"); domain of at least two labels
//   [A-Za-z0-9-] (no '-' at either end), the last being 2+ letters. "user@localhost" and "x@y"
//   are not matched: without a dotted domain they are mostly code, handles and placeholders.
//   Internationalized (non-ASCII) domains and quoted local parts are not matched.
// - Phones: domestic numbers need their trunk '0' and a known area code (02, 031-033, 041-044,
//   051-055, 061-064, 070 and mobile 010/011/016-019), then 3-4 and 4 digits joined by one
//   separator ('-', '.' or ' ') used throughout. Only mobile numbers may be written without
//   separators (10-11 digits), or as 010-12345678. "(02) 123-4567", "+82 10-1234-5678",
//   "+82-2-123-4567" and "+82 (0)10-..." are matched. 1588-1234 style numbers need a '-'; a pair
//   that reads as a range of years or of round numbers (1600-1700, 1500-2000) is left alone.
//   Other international numbers: '+', a country code not starting with 0, then 8-15 digits in
//   all, in up to 6 groups separated by ' ', '-' or '.' (a group may be parenthesized: "+1 (415)
//   555-2671"); a single group needs 10+ digits; once a '-' or '.' has been used, a space ends
//   the number ("+1 415-555-2671 2024-01-15"). Dates, times, versions, prices and years never
//   have a phone's shape.
// - Resident registration numbers: YYMMDD-SNNNNNN, or 13 digits standing alone, with a real
//   calendar date (leap years from the century that S gives) and S in 1-8. The check digit is not
//   required: numbers issued since October 2020 do not follow it.
// - Cards: 13-19 digits in one run, or 4-4-4-4, 4-4-4-4-3, 4-6-5 or 4-6-4 groups joined by a
//   single ' ' or '-', passing the Luhn check and with a known issuer prefix and length: Visa 4
//   (13, 16, 19), Mastercard 51-55 and 2221-2720 (16), Amex 34/37 (15), Discover 6011, 644-649,
//   65 (16-19), JCB 3528-3589 (16-19), UnionPay 62 (16-19), Korean domestic cards 9 (16).
// - IP addresses: all of them, private and loopback too (they still identify hosts and networks,
//   and the placeholder costs nothing). IPv4: four octets 0-255 without leading zeros, not
//   preceded by '.' nor followed by '.' and a digit; a four-part version number such as 1.2.3.4
//   cannot be told apart and is replaced too. IPv6: full or "::"-compressed, groups of 1-4 hex
//   digits, an embedded IPv4 tail allowed, at least two colons and at least one decimal digit
//   (so "12:30:45", MAC addresses and C++ names like "A::B" are not matched).
// - URLs whose userinfo holds a non-empty password (the user may be empty, as in Redis's
//   "redis://:secret@host"): the whole URL is replaced. It ends at whitespace, a control or
//   non-ASCII byte, or one of "'<>`; trailing .,;:!? and unbalanced ')' or ']' are left outside.
//   URLs without credentials are kept (an e-mail address inside one is still found).
// - Business registration numbers: NNN-NN-NNNNN (hyphens required) whose check digit is right.
// - Full-width digits (０-９) are not recognized; normalize text (NFKC) before this stage.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace exaone::foundry {

// The placeholders, each a single token in EXAONE's vocabulary.
inline constexpr std::string_view kPiiEmail = "PI:EMAIL";
inline constexpr std::string_view kPiiPhone = "PI:PHONE_NUM";
inline constexpr std::string_view kPiiId = "PI:ID";
inline constexpr std::string_view kPiiCard = "PI:ACCOUNT_NUM";
inline constexpr std::string_view kPiiIp = "PI:IP_ADDRESS";
inline constexpr std::string_view kPiiUrl = "PI:URL";
inline constexpr std::string_view kPiiBusiness = "PI:BUSINESS_NUM";

// Which kinds to look for.
struct PiiOptions {
  bool email = true;
  bool phone = true;
  bool rrn = true;
  bool card = true;
  bool ip = true;
  bool url_credentials = true;
  bool business_number = true;
};

// One span of PII: bytes [begin, end) of the text, and the placeholder that replaces it (one of
// the kPii* constants above).
struct PiiMatch {
  size_t begin = 0;
  size_t end = 0;
  std::string_view kind;
};

// The PII spans in `text`, sorted and non-overlapping.
std::vector<PiiMatch> FindPii(std::string_view text, const PiiOptions& o = {});

// `text` with each span FindPii finds replaced by its placeholder; the spans go to `found` when
// it is given.
std::string RedactPii(std::string_view text, const PiiOptions& o = {},
                      std::vector<PiiMatch>* found = nullptr);

}  // namespace exaone::foundry
