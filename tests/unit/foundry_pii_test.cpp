// PII redaction: for each kind, texts that must be found (with the exact span) and near misses
// that must not; Korean context, text edges, adjacent PII, options, invalid UTF-8, every offset
// from a 16-byte boundary; random strings checked for well-formed, self-consistent results; inputs
// built to make a careless scanner quadratic; and a throughput measurement on ~10 MB of mixed
// English/Korean text with sparse planted PII, all of which must be found.
//
// Card numbers below are the networks' published test numbers or were completed with a Luhn
// check digit computed in Python; business numbers' check digits were computed in Python with
// the weights 1,3,7,1,3,7,1,3,5 (124-81-00998 is a real, published number).
#include "foundry/pii.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace exaone::foundry {
namespace {

using Found = std::vector<std::pair<std::string, std::string>>;  // (span text, placeholder)

Found Find(std::string_view text, const PiiOptions& o = {}) {
  Found out;
  for (const PiiMatch& m : FindPii(text, o)) {
    out.emplace_back(std::string(text.substr(m.begin, m.end - m.begin)), std::string(m.kind));
  }
  return out;
}

// Each text holds exactly one PII span: `span`, of kind `kind`.
struct One {
  std::string text, span;
};

void ExpectOne(const std::vector<One>& cases, std::string_view kind) {
  for (const One& c : cases) {
    const Found f = Find(c.text);
    ASSERT_EQ(f.size(), 1u) << "text: " << c.text;
    EXPECT_EQ(f[0].first, c.span) << "text: " << c.text;
    EXPECT_EQ(f[0].second, kind) << "text: " << c.text;
  }
}

void ExpectNone(const std::vector<std::string>& texts) {
  for (const std::string& t : texts) {
    const Found f = Find(t);
    EXPECT_TRUE(f.empty()) << "text: " << t << " found: " << (f.empty() ? "" : f[0].first) << " as "
                           << (f.empty() ? "" : f[0].second);
  }
}

TEST(FoundryPii, Email) {
  ExpectOne(
      {
          {"이메일은 kim.minji@example.co.kr 로", "kim.minji@example.co.kr"},
          {"kim@example.com", "kim@example.com"},
          {"contact: John.Doe+news@mail-server.example.com.",
           "John.Doe+news@mail-server.example.com"},
          {"<a_b%c@sub.domain.org>", "a_b%c@sub.domain.org"},
          {"mailto:support@lgresearch.ai?subject=hi", "support@lgresearch.ai"},
          {"see...kim@naver.com", "kim@naver.com"},
          {".kim@naver.com", "kim@naver.com"},
          {"01012345678@naver.com", "01012345678@naver.com"},  // not a phone: a local part
          {"(kim@example.com)", "kim@example.com"},
          {"kim@example.com.123", "kim@example.com"},
          {"문의kim@test.kr입니다", "kim@test.kr"},
          {"x-y@a-b.example.io", "x-y@a-b.example.io"},
          {"USER@EXAMPLE.COM", "USER@EXAMPLE.COM"},
          {"https://user@example.com", "user@example.com"},  // no password: an address, not a URL
      },
      kPiiEmail);
  ExpectNone({"user@localhost", "x@y", "@home", "a@b.c", "foo.@bar.com", "kim@-bad.com",
              "kim@bad-.com", "kim@example.123", "@@", "twitter @handle", "a@b.c0m",
              "name@domain..com", "kim..@x.com", "a@.com", "@example.com",
              std::string(65, 'a') + "@example.com"});
  // 64 characters is the longest local part.
  const std::string local64(64, 'a');
  ExpectOne({{local64 + "@example.com", local64 + "@example.com"}}, kPiiEmail);
}

TEST(FoundryPii, Phone) {
  ExpectOne(
      {
          {"연락처: 010-1234-5678입니다", "010-1234-5678"},
          {"010.1234.5678", "010.1234.5678"},
          {"010 1234 5678", "010 1234 5678"},
          {"01012345678", "01012345678"},
          {"0101234567", "0101234567"},
          {"011-123-4567", "011-123-4567"},
          {"016-123-4567", "016-123-4567"},
          {"019-1234-5678", "019-1234-5678"},
          {"010-12345678", "010-12345678"},
          {"02-123-4567", "02-123-4567"},
          {"02-1234-5678", "02-1234-5678"},
          {"031-123-4567", "031-123-4567"},
          {"044-123-4567", "044-123-4567"},
          {"055-123-4567", "055-123-4567"},
          {"064-1234-5678", "064-1234-5678"},
          {"070-1234-5678", "070-1234-5678"},
          {"02.123.4567", "02.123.4567"},
          {"051 123 4567", "051 123 4567"},
          {"고객센터 1588-1234로", "1588-1234"},
          {"1644-0001", "1644-0001"},
          {"1899-1234", "1899-1234"},
          {"+82 10-1234-5678", "+82 10-1234-5678"},
          {"+82-10-1234-5678", "+82-10-1234-5678"},
          {"+821012345678", "+821012345678"},
          {"+82-2-123-4567", "+82-2-123-4567"},
          {"+82 (0)10-1234-5678", "+82 (0)10-1234-5678"},
          {"+82 010-1234-5678", "+82 010-1234-5678"},
          {"(02) 123-4567", "(02) 123-4567"},
          {"(031)1234-5678", "(031)1234-5678"},
          {"(010) 1234-5678", "(010) 1234-5678"},
          {"TEL(02) 123-4567", "(02) 123-4567"},
          {"전화(02)123-4567", "(02)123-4567"},
          {"+1 415-555-2671", "+1 415-555-2671"},
          {"+44 20 7946 0958", "+44 20 7946 0958"},
          {"+1 (415) 555-2671", "+1 (415) 555-2671"},
          {"+33 1 23 45 67 89", "+33 1 23 45 67 89"},
          {"+14155552671", "+14155552671"},
          {"+86 138 0013 8000", "+86 138 0013 8000"},
          {"call +1 415 555 2671 2 times", "+1 415 555 2671"},
          {"+1 415-555-2671 2024-01-15", "+1 415-555-2671"},
          {"+1 415-555-2671 1600-1700", "+1 415-555-2671"},
          {"+44 20 7946 0958 12345", "+44 20 7946 0958"},
          {"전화(02-123-4567)로", "02-123-4567"},
          {"TEL.02-123-4567", "02-123-4567"},
          {"휴대폰010-1234-5678", "010-1234-5678"},
          {"Tel:+82-2-123-4567.", "+82-2-123-4567"},
          {"010-1234-5678-", "010-1234-5678"},
      },
      kPiiPhone);
  ExpectNone({
      "2024-01-15",
      "2024.01.15",
      "15.01.2024",
      "01/15/2024",
      "12:30:45",
      "1.2.3",
      "v1.2.3.4",
      "2024",
      "in 1998 and 2024",
      "1,234,567",
      "₩1,234,567원",
      "order 20240115123456",
      "01012345678901",
      "010-1234-56789",
      "010-1234-5678-9",
      "1010-1234-5678",
      "020-123-4567",
      "035-123-4567",
      "010-1234 5678",
      "010-12-5678",
      "x010-1234-5678",
      "010-1234-5678x",
      "1600-1700",
      "1500-2000",
      "1588.1234",
      "Tel 1588-12345",
      "15881234",
      "02-123-4567.5",
      "1.02-123-4567",
      "0212345678",
      "+1234567",
      "+12.5%",
      "+100,000",
      "+2024-01-15",
      "+0 123 456 789",
      "3.14159",
      "10:30",
      "ISBN 978-89-7914-063-1",
      "ISBN 9788936433673",
      "(02)12-4567",
      "(099) 123-4567",
      "a+82 10-1234-5678",
  });
}

TEST(FoundryPii, ResidentRegistrationNumber) {
  ExpectOne(
      {
          {"900101-1234567", "900101-1234567"},
          {"000229-3123456", "000229-3123456"},  // 2000 is a leap year
          {"040229-4123456", "040229-4123456"},
          {"9001011234567", "9001011234567"},
          {"850315-5123456", "850315-5123456"},  // a foreign resident's
          {"991231-8123456", "991231-8123456"},
          {"주민번호: 900101-2345678입니다", "900101-2345678"},
          {"(900101-1234567)", "900101-1234567"},
      },
      kPiiId);
  ExpectNone({
      "901301-1234567",   // month 13
      "900001-1234567",   // month 0
      "900230-1234567",   // 30 February
      "900431-1234567",   // 31 April
      "010229-3123456",   // 2001 is not a leap year
      "000229-1234567",   // S=1: 1900, not a leap year
      "900101-9234567",   // S=9 (born in the 1800s)
      "900101-0234567",   // S=0
      "900100-1234567",   // day 0
      "900101-123456",    // 6 digits after the hyphen
      "900101-12345678",  // 8 digits after the hyphen
      "900101 1234567",   // a space is not the separator
      "19900101-1234567",
      "9001011234567890",
      "a900101-1234567",
  });
}

TEST(FoundryPii, CardNumber) {
  ExpectOne(
      {
          {"4111 1111 1111 1111", "4111 1111 1111 1111"},
          {"4111-1111-1111-1111", "4111-1111-1111-1111"},
          {"4111111111111111", "4111111111111111"},
          {"5555 5555 5555 4444", "5555 5555 5555 4444"},
          {"2221000000000009", "2221000000000009"},
          {"2720000000000005", "2720000000000005"},
          {"5100000000000008", "5100000000000008"},
          {"3782 822463 10005", "3782 822463 10005"},  // Amex 4-6-5
          {"378282246310005", "378282246310005"},
          {"6011 1111 1111 1117", "6011 1111 1111 1117"},
          {"6445000000000000", "6445000000000000"},
          {"6500000000000002", "6500000000000002"},
          {"3530111333300000", "3530111333300000"},
          {"3589000000000003", "3589000000000003"},
          {"6200000000000005", "6200000000000005"},
          {"6212000000000000005", "6212000000000000005"},
          {"4000 0000 0000 0000 006", "4000 0000 0000 0000 006"},  // 19 digits, 4-4-4-4-3
          {"9410-0000-0000-0005", "9410-0000-0000-0005"},          // Korean domestic
          {"4222222222222", "4222222222222"},                      // 13-digit Visa
          {"카드번호 4111-1111-1111-1111로 결제", "4111-1111-1111-1111"},
          {"4111 1111 1111 1111 12/25", "4111 1111 1111 1111"},
      },
      kPiiCard);
  ExpectNone({
      "4111 1111 1111 1112",    // Luhn fails
      "4111111111111112",       // Luhn fails
      "1234 5678 9012 3456",    // no such issuer
      "4111 1111 1111 111",     // 15-digit Visa
      "36000000000008",         // Diners: not a network we recognize
      "941000000000004",        // Korean domestic prefix, but 15 digits
      "0000 0000 0000 0000",    // no issuer
      "4111  1111 1111 1111",   // double space
      "4111-1111 1111-1111",    // mixed separators
      "41111111111111111111",   // 20 digits
      "4111-1111-1111-1111-1",  // continues
      "x4111111111111111",      // inside a word
      "4111 111111 11111",      // 4-6-5 is Amex only
  });
}

TEST(FoundryPii, Ipv4) {
  ExpectOne(
      {
          {"192.168.0.1", "192.168.0.1"},
          {"10.0.0.1", "10.0.0.1"},
          {"255.255.255.255", "255.255.255.255"},
          {"0.0.0.0", "0.0.0.0"},
          {"dns 8.8.8.8:53", "8.8.8.8"},
          {"IP는 172.16.254.1입니다", "172.16.254.1"},
          {"(127.0.0.1)", "127.0.0.1"},
          {"at 1.2.3.4.", "1.2.3.4"},
          {"10.0.0.0/8", "10.0.0.0"},
      },
      kPiiIp);
  ExpectNone({"999.1.1.1", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "192.168.001.1",
              "x.1.2.3.4", "1.2.3.4a", "1..2.3.4", "1.2.3.", "v1.2.3.4", "1.2.3.4-5"});
}

TEST(FoundryPii, Ipv6) {
  ExpectOne(
      {
          {"2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"},
          {"2001:db8::1", "2001:db8::1"},
          {"::1", "::1"},
          {"fe80::1%eth0", "fe80::1"},
          {"[2001:db8::ff00:42:8329]:443", "2001:db8::ff00:42:8329"},
          {"::ffff:192.168.0.1", "::ffff:192.168.0.1"},
          {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
          {"prefix 2001:db8:: here", "2001:db8::"},
          {"주소 fe80::1234입니다", "fe80::1234"},
          {"FE80::ABCD:1", "FE80::ABCD:1"},
          {"connect to ::1: refused", "::1"},
      },
      kPiiIp);
  ExpectNone({"12:30:45", "00:1A:2B:3C:4D:5E", "std::vector", "A::B", "dead::beef", "::", "a :: b",
              "1:2:3:4:5:6:7:8:9", "2001:db8:::1", "12345::1", "1::2::3", "x2001:db8::1",
              "2001:db8::1x", "1:2:3:4:5:6:7", "ratio 1:2:3"});
}

TEST(FoundryPii, UrlWithCredentials) {
  ExpectOne(
      {
          {"https://user:pa55w0rd@example.com/path?q=1",
           "https://user:pa55w0rd@example.com/path?q=1"},
          {"ftp://admin:secret@192.168.0.10:21/files", "ftp://admin:secret@192.168.0.10:21/files"},
          {"(see https://u:p@host.com/a)", "https://u:p@host.com/a"},
          {"(see https://u:p@host.com)", "https://u:p@host.com"},
          {"[https://u:p@host.com]", "https://u:p@host.com"},
          {"http://u:p@h.com/wiki/A_(b)", "http://u:p@h.com/wiki/A_(b)"},
          {"see https://u:p@host.com/(a).", "https://u:p@host.com/(a)"},
          {"[https://u:p@host.com/x]", "https://u:p@host.com/x"},
          {"postgres://db_user:p@ss@db.example.com:5432/prod, then",
           "postgres://db_user:p@ss@db.example.com:5432/prod"},
          {"redis://:secret@cache:6379/0", "redis://:secret@cache:6379/0"},
          {"git clone https://token:x-oauth-basic@github.com/org/repo.git",
           "https://token:x-oauth-basic@github.com/org/repo.git"},
          {"jdbc:mysql://root:toor@localhost/db", "mysql://root:toor@localhost/db"},
          {"접속 주소는 http://admin:1234@10.0.0.1:8080/에서", "http://admin:1234@10.0.0.1:8080/"},
          {"\"http://u:p@h.io\"", "http://u:p@h.io"},
          {"http://u:p@h.io?!", "http://u:p@h.io"},
      },
      kPiiUrl);
  ExpectNone({"https://example.com/a@b", "http://example.com:8080/path",
              "https://example.com/?email=x", "http://a:@host", "https://medium.com/@user/post",
              "http://u:p@/path"});
  // Without a scheme there is no URL; what follows the last ':' still reads as an address.
  EXPECT_EQ(Find("://u:p@host.com"), (Found{{"p@host.com", "PI:EMAIL"}}));
  EXPECT_EQ(Find("123://u:p@host.com"), (Found{{"p@host.com", "PI:EMAIL"}}));
}

TEST(FoundryPii, BusinessRegistrationNumber) {
  ExpectOne(
      {
          {"124-81-00998", "124-81-00998"},
          {"220-81-03798", "220-81-03798"},
          {"사업자등록번호: 211-87-01783입니다", "211-87-01783"},
          {"104-81-00000", "104-81-00000"},
          {"123-45-67891", "123-45-67891"},
      },
      kPiiBusiness);
  ExpectNone({"124-81-00999", "124-81-0099", "12-481-00998", "1248100998", "124-81-009981",
              "124 81 00998", "x124-81-00998"});
}

TEST(FoundryPii, AdjacentAndEdges) {
  EXPECT_EQ(Find("010-1234-5678,010-9876-5432"),
            (Found{{"010-1234-5678", "PI:PHONE_NUM"}, {"010-9876-5432", "PI:PHONE_NUM"}}));
  EXPECT_EQ(Find("010-1234-5678/02-123-4567"),
            (Found{{"010-1234-5678", "PI:PHONE_NUM"}, {"02-123-4567", "PI:PHONE_NUM"}}));
  EXPECT_EQ(Find("kim@a.com,lee@b.org"),
            (Found{{"kim@a.com", "PI:EMAIL"}, {"lee@b.org", "PI:EMAIL"}}));
  EXPECT_EQ(Find("kim@a.com 010-1234-5678 192.168.0.1"), (Found{{"kim@a.com", "PI:EMAIL"},
                                                                {"010-1234-5678", "PI:PHONE_NUM"},
                                                                {"192.168.0.1", "PI:IP_ADDRESS"}}));
  EXPECT_EQ(Find("4111111111111111 900101-1234567 124-81-00998"),
            (Found{{"4111111111111111", "PI:ACCOUNT_NUM"},
                   {"900101-1234567", "PI:ID"},
                   {"124-81-00998", "PI:BUSINESS_NUM"}}));
  EXPECT_EQ(Find("010-1234-5678.kim@x.com"),
            (Found{{"010-1234-5678", "PI:PHONE_NUM"}, {"kim@x.com", "PI:EMAIL"}}));
  EXPECT_EQ(Find("ftp://u:p@host.com kim@example.com"),
            (Found{{"ftp://u:p@host.com", "PI:URL"}, {"kim@example.com", "PI:EMAIL"}}));
  // The e-mail inside a URL with credentials is part of that URL.
  EXPECT_EQ(Find("https://u:p@h.com/?to=kim@example.com"),
            (Found{{"https://u:p@h.com/?to=kim@example.com", "PI:URL"}}));
  // An address in a URL without credentials is still found.
  EXPECT_EQ(Find("https://h.com/?to=kim@example.com"), (Found{{"kim@example.com", "PI:EMAIL"}}));
  EXPECT_EQ(Find("http://192.168.0.1:8080/"), (Found{{"192.168.0.1", "PI:IP_ADDRESS"}}));
  for (const char* t : {"010-1234-5678", "a@b.cc", "192.168.0.1", "::1", "4111111111111111",
                        "900101-1234567", "124-81-00998", "http://u:p@h"}) {
    const auto m = FindPii(t);
    ASSERT_EQ(m.size(), 1u) << t;
    EXPECT_EQ(m[0].begin, 0u);
    EXPECT_EQ(m[0].end, std::string_view(t).size());
  }
  EXPECT_TRUE(FindPii("").empty());
  EXPECT_TRUE(FindPii("@").empty());
  EXPECT_TRUE(FindPii(":").empty());
  EXPECT_TRUE(FindPii("://").empty());
  EXPECT_TRUE(FindPii("+").empty());
  EXPECT_TRUE(FindPii("(").empty());
  EXPECT_TRUE(FindPii("0").empty());
}

TEST(FoundryPii, Redact) {
  std::vector<PiiMatch> found;
  const std::string text = "연락처: 010-1234-5678, 이메일: kim@example.com, 서버 10.0.0.1";
  EXPECT_EQ(RedactPii(text, {}, &found),
            "연락처: PI:PHONE_NUM, 이메일: PI:EMAIL, 서버 PI:IP_ADDRESS");
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(text.substr(found[1].begin, found[1].end - found[1].begin), "kim@example.com");
  EXPECT_EQ(found[1].kind, kPiiEmail);
  EXPECT_EQ(RedactPii("no pii here, 2024-01-15."), "no pii here, 2024-01-15.");
  EXPECT_EQ(RedactPii("card 4111 1111 1111 1111, rrn 900101-1234567, brn 124-81-00998"),
            "card PI:ACCOUNT_NUM, rrn PI:ID, brn PI:BUSINESS_NUM");
  EXPECT_EQ(RedactPii("db postgres://a:b@h/x and http://h/"), "db PI:URL and http://h/");
  EXPECT_EQ(RedactPii(""), "");
  // Redacting twice changes nothing more.
  const std::string once = RedactPii(text);
  EXPECT_EQ(RedactPii(once), once);
}

TEST(FoundryPii, Options) {
  const std::string text =
      "kim@a.com 010-1234-5678 900101-1234567 4111111111111111 10.0.0.1 ::1 "
      "http://u:p@h.com 124-81-00998";
  EXPECT_EQ(FindPii(text).size(), 8u);
  auto kinds = [&](const PiiOptions& o) {
    std::string s;
    for (const PiiMatch& m : FindPii(text, o)) s += std::string(m.kind) + " ";
    return s;
  };
  EXPECT_EQ(kinds({.email = false}),
            "PI:PHONE_NUM PI:ID PI:ACCOUNT_NUM PI:IP_ADDRESS PI:IP_ADDRESS PI:URL "
            "PI:BUSINESS_NUM ");
  EXPECT_EQ(kinds({.phone = false}),
            "PI:EMAIL PI:ID PI:ACCOUNT_NUM PI:IP_ADDRESS PI:IP_ADDRESS PI:URL PI:BUSINESS_NUM ");
  EXPECT_EQ(kinds({.rrn = false}),
            "PI:EMAIL PI:PHONE_NUM PI:ACCOUNT_NUM PI:IP_ADDRESS "
            "PI:IP_ADDRESS PI:URL PI:BUSINESS_NUM ");
  EXPECT_EQ(kinds({.card = false}),
            "PI:EMAIL PI:PHONE_NUM PI:ID PI:IP_ADDRESS PI:IP_ADDRESS PI:URL PI:BUSINESS_NUM ");
  EXPECT_EQ(kinds({.ip = false}),
            "PI:EMAIL PI:PHONE_NUM PI:ID PI:ACCOUNT_NUM PI:URL PI:BUSINESS_NUM ");
  // Without the URL recognizer, the userinfo's '@' does not make an address ("p@h.com" would).
  EXPECT_EQ(kinds({.url_credentials = false}),
            "PI:EMAIL PI:PHONE_NUM PI:ID PI:ACCOUNT_NUM PI:IP_ADDRESS PI:IP_ADDRESS PI:EMAIL "
            "PI:BUSINESS_NUM ");
  EXPECT_EQ(kinds({.business_number = false}),
            "PI:EMAIL PI:PHONE_NUM PI:ID PI:ACCOUNT_NUM PI:IP_ADDRESS PI:IP_ADDRESS PI:URL ");
  EXPECT_EQ(kinds({false, false, false, false, false, false, false}), "");
}

TEST(FoundryPii, BytesOutsideAscii) {
  // Full-width digits are not recognized (normalize first).
  EXPECT_TRUE(FindPii("０１０-１２３４-５６７８").empty());
  EXPECT_TRUE(FindPii("ｋｉｍ＠ｅｘａｍｐｌｅ．ｃｏｍ").empty());
  // Invalid UTF-8 around PII is a boundary like any other non-ASCII byte.
  EXPECT_EQ(Find("\xff\xfe"
                 "010-1234-5678\xc3"),
            (Found{{"010-1234-5678", "PI:PHONE_NUM"}}));
  EXPECT_EQ(Find("\x80kim@example.com\xff"), (Found{{"kim@example.com", "PI:EMAIL"}}));
  const std::string nul("a\0b 010-1234-5678\0", 19);
  EXPECT_EQ(Find(nul), (Found{{"010-1234-5678", "PI:PHONE_NUM"}}));
}

// The main loop skips 16 bytes at a time where it can: PII must be found at every offset from a
// 16-byte boundary, after ASCII or Korean filler, and right at the end of the text.
TEST(FoundryPii, EveryOffset) {
  const std::vector<std::pair<std::string, std::string_view>> items = {
      {"010-1234-5678", kPiiPhone},   {"kim@example.com", kPiiEmail}, {"fe80::1", kPiiIp},
      {"+1 415-555-2671", kPiiPhone}, {"(02) 123-4567", kPiiPhone},   {"http://u:p@h.com", kPiiUrl},
  };
  for (const std::string filler : {" ", "가"}) {
    for (const auto& [item, kind] : items) {
      for (size_t pad = 0; pad < 40; ++pad) {
        std::string text;
        for (size_t k = 0; k < pad; ++k) text += k % 7 == 6 ? "." : filler;
        if (!text.empty()) text += " ";
        const size_t at = text.size();
        text += item;
        for (const std::string& t : {text, text + std::string(pad, ' ')}) {
          const auto m = FindPii(t);
          ASSERT_EQ(m.size(), 1u) << t;
          EXPECT_EQ(m[0].begin, at) << t;
          EXPECT_EQ(m[0].end, at + item.size()) << t;
          EXPECT_EQ(m[0].kind, kind) << t;
        }
      }
    }
  }
}

// Matches are in range, sorted, non-overlapping, of a known kind; and each span, taken alone, is
// found again whole and with the same kind.
void CheckWellFormed(std::string_view text) {
  std::vector<PiiMatch> found;
  const std::string redacted = RedactPii(text, {}, &found);
  size_t prev = 0;
  std::string rebuilt;
  for (const PiiMatch& m : found) {
    ASSERT_LT(m.begin, m.end);
    ASSERT_LE(m.end, text.size());
    ASSERT_GE(m.begin, prev);
    ASSERT_TRUE(m.kind == kPiiEmail || m.kind == kPiiPhone || m.kind == kPiiId ||
                m.kind == kPiiCard || m.kind == kPiiIp || m.kind == kPiiUrl ||
                m.kind == kPiiBusiness);
    rebuilt.append(text.substr(prev, m.begin - prev));
    rebuilt.append(m.kind);
    prev = m.end;
    const std::string_view span = text.substr(m.begin, m.end - m.begin);
    const auto alone = FindPii(span);
    ASSERT_EQ(alone.size(), 1u) << "span '" << span << "' of '" << text << "'";
    EXPECT_EQ(alone[0].begin, 0u) << span;
    EXPECT_EQ(alone[0].end, span.size()) << span;
    EXPECT_EQ(alone[0].kind, m.kind) << span;
  }
  rebuilt.append(text.substr(prev));
  ASSERT_EQ(redacted, rebuilt);
}

TEST(FoundryPii, RandomStrings) {
  std::mt19937 rng(12345);
  const std::string alphabet = "0123456789012345678901234567890-.- .:/@+()abcfxyzKM_%,\xff\xea";
  std::uniform_int_distribution<size_t> len(0, 40), pick(0, alphabet.size() - 1);
  size_t matched = 0;
  for (int n = 0; n < 100000; ++n) {
    std::string s(len(rng), ' ');
    for (char& c : s) c = alphabet[pick(rng)];
    CheckWellFormed(s);
    matched += !FindPii(s).empty();
    if (testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GT(matched, 100u);  // the alphabet does produce PII now and then
  // Arbitrary bytes.
  std::uniform_int_distribution<int> byte(0, 255);
  for (int n = 0; n < 10000; ++n) {
    std::string s(len(rng) * 5, ' ');
    for (char& c : s) c = static_cast<char>(byte(rng));
    CheckWellFormed(s);
    if (testing::Test::HasFatalFailure()) return;
  }
}

// Inputs that would make a scanner that re-reads text quadratic; each is 1 MiB.
TEST(FoundryPii, LinearTime) {
  const size_t kSize = 1 << 20;
  auto repeat = [&](std::string_view unit) {
    std::string s;
    while (s.size() < kSize) s.append(unit);
    return s;
  };
  const std::vector<std::string> inputs = {
      repeat("a"),
      repeat("0"),
      repeat("@"),
      repeat("a@"),
      repeat("a.a@"),
      repeat("1:"),
      repeat(":"),
      repeat("::1:"),
      repeat("a://"),
      repeat("http://u:p@h)"),
      repeat("1-"),
      repeat("1."),
      repeat("+1 "),
      repeat("("),
      repeat("0.0."),
      repeat("a@b.") + "cc",
      repeat("f:"),
      std::string(kSize, '.') + "@x.com",
      "http://u:p@" + repeat("h"),
      "http://u:p@h/" + repeat(")"),
  };
  const auto t0 = std::chrono::steady_clock::now();
  for (const std::string& s : inputs) {
    const auto m = FindPii(s);
    size_t prev = 0;
    for (const PiiMatch& x : m) {
      ASSERT_GE(x.begin, prev);
      ASSERT_LT(x.begin, x.end);
      prev = x.end;
    }
    ASSERT_LE(prev, s.size());
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // About 20 MiB in all: milliseconds when linear (seconds under sanitizers), hours if not.
  EXPECT_LT(secs, 30.0);
}

// ~10 MB of English and Korean prose in which one token in five is a number or symbol that is
// not PII (dates, times, prices, versions, years, order numbers, ISBNs, C++ names), with one PII
// item planted every ~2 KB. Every planted item must come back, with its kind, and nothing else.
// The speed is printed (CPU time, so a busy machine does not distort it much).
TEST(FoundryPii, Throughput) {
  const std::vector<std::string> prose = {
      "the",     "model",          "data",    "training", "of",       "and",   "in",   "language",
      "a",       "research",       "quality", "filter",   "document", "we",    "is",   "to",
      "with",    "from",           "데이터",  "모델",     "학습",     "품질",  "문서", "연구",
      "한국어",  "입니다",         "에서",    "그리고",   "(see",     "note)", "e.g.", "co-op",
      "@handle", "user@localhost",
  };
  const std::vector<std::string> near_misses = {
      "2024-01-15",
      "2024.01.15",
      "12:30:45",
      "v1.2.3",
      "1,234,567원",
      "$19.99",
      "1998",
      "order#20240115123",
      "3.14",
      "50%",
      "x86_64",
      "ISBN 978-89-7914-063-1",
      "A::B",
      "ratio 1:2:3",
      "1600-1700",
      "https://example.com/a/b",
      "4111 1111 1111 1112",
      "124-81-00999",
      "901301-1234567",
      "999.1.1.1",
      "+12.5%",
      "20240115123456",
  };
  const std::vector<std::pair<std::string, std::string_view>> pii = {
      {"kim.minji@example.co.kr", kPiiEmail},
      {"010-1234-5678", kPiiPhone},
      {"02-123-4567", kPiiPhone},
      {"+1 415-555-2671", kPiiPhone},
      {"900101-1234567", kPiiId},
      {"4111 1111 1111 1111", kPiiCard},
      {"192.168.0.1", kPiiIp},
      {"2001:db8::1", kPiiIp},
      {"https://u:pw@db.example.com/x", kPiiUrl},
      {"124-81-00998", kPiiBusiness},
  };
  std::mt19937 rng(7);
  std::uniform_int_distribution<size_t> word(0, prose.size() - 1), miss(0, near_misses.size() - 1),
      item(0, pii.size() - 1);
  std::string text;
  std::vector<std::string_view> planted;
  size_t next_pii = 2000;
  while (text.size() < 10'000'000) {
    if (text.size() >= next_pii) {
      const auto& [s, kind] = pii[item(rng)];
      text += s;
      planted.push_back(kind);
      next_pii += 2000;
    } else if (rng() % 5 == 0) {
      text += near_misses[miss(rng)];
    } else {
      text += prose[word(rng)];
    }
    text += (rng() % 12 == 0) ? ". " : " ";
  }
  std::vector<PiiMatch> found;
  const int kRounds = 3;
  const std::clock_t c0 = std::clock();
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < kRounds; ++r) found = FindPii(text);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  const double mb = kRounds * static_cast<double>(text.size()) / 1e6;
  std::printf("FindPii: %.1f MB of text, %zu PII: %.0f MB/s (CPU time), %.0f MB/s (wall)\n",
              text.size() / 1e6, found.size(), mb / cpu, mb / wall);
  RecordProperty("mb_per_s_cpu", static_cast<int>(mb / cpu));
  ASSERT_EQ(found.size(), planted.size());
  for (size_t k = 0; k < found.size(); ++k) EXPECT_EQ(found[k].kind, planted[k]) << k;
}

}  // namespace
}  // namespace exaone::foundry
