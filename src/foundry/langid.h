// Document-level language identification for the data foundry: Korean, English, Spanish,
// Japanese, Chinese, French and German, from the text alone (no model files).
//
// The method, in two steps over the first 20,000 code points of the text:
// 1. Scripts. Letters are counted per script, weighted by roughly how much text one letter
//    stands for: a Hangul syllable or Han ideograph 3, a kana 2, any other letter 1. Letters of a
//    word that also holds Hangul count for Korean ("GPU에서", "framework입니다": Korean attaches
//    particles to English terms). Han counts for Korean too when Hangul is at least half as
//    frequent (Hanja in Korean text). Then: Hangul ahead of kana -> ko; hiragana making at least
//    5% of kana+Han, or kana 20% -> ja (Chinese text borrows katakana names, not Japanese
//    grammar); Han otherwise -> zh; Latin -> step 2; any other script (Cyrillic, Arabic, ...)
//    -> unknown. The heaviest of CJK, Latin and other wins, except that Korean holding at least a
//    third of the weight wins over Latin (Korean prose with English terms and code).
// 2. Latin languages. Each word is looked up (lowercased) in an embedded table of frequent
//    function words of en, es, fr and de; a word shared by k of them gives each 1/k. French
//    elisions (l' d' qu' n' c' j' ...) and distinctive letters (es: ñ ¿ ¡ á í ó ú; fr: ç è ê à
//    â î ô û ù ë œ; de: ä ö ü ß) add one each. The language with most evidence wins.
//
// The score is the winning script's share of the weighted letters, times (for Latin) the
// winning language's share of the Latin evidence: near 1 for clean monolingual text, lower for
// mixed text. Texts with under 20 weighted letters are "unknown" unless they are Hangul or hold
// kana (scripts that settle the language alone); Latin text with no function-word or letter
// evidence at all is "unknown". Other Latin-script languages (Italian, Portuguese, Dutch, ...)
// are not modelled and come out as the closest of en/es/fr/de with a reduced score. The text
// is best given after NormalizeText (NFC: decomposed accents are not seen as distinctive).
#pragma once

#include <string>
#include <string_view>

namespace exaone::foundry {

struct LangGuess {
  std::string lang;  // "ko", "en", "es", "ja", "zh", "fr", "de", or "unknown"
  double score = 0;  // confidence in [0, 1]; 0 for "unknown"
};

LangGuess IdentifyLanguage(std::string_view text);

}  // namespace exaone::foundry
