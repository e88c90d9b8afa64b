// Foundry language identification: hand-written sentences in each supported language (short,
// long and mixed), texts that must come out "unknown", and the GPL-3 text Debian ships as a
// long real English document.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "foundry/langid.h"

namespace exaone::foundry {
namespace {

void ExpectLang(std::string_view text, const std::string& lang, double min_score) {
  const LangGuess g = IdentifyLanguage(text);
  EXPECT_EQ(g.lang, lang) << text;
  EXPECT_GE(g.score, min_score) << text;
  EXPECT_LE(g.score, 1.0) << text;
}

void ExpectUnknown(std::string_view text) {
  const LangGuess g = IdentifyLanguage(text);
  EXPECT_EQ(g.lang, "unknown") << text;
  EXPECT_EQ(g.score, 0.0) << text;
}

TEST(FoundryLangId, Korean) {
  ExpectLang("안녕하세요", "ko", 0.99);  // short, but Hangul settles it
  ExpectLang("안녕하세요. 오늘 날씨가 정말 좋네요.", "ko", 0.99);
  ExpectLang(
      "대한민국은 동아시아의 한반도 남부에 위치한 민주공화국이다. 수도는 서울특별시이며, "
      "국어는 한국어, 문자는 한글이다.",
      "ko", 0.99);
  // Korean sentences with English terms, attached or standalone.
  ExpectLang("이 모델은 Transformer architecture를 사용하여 GPU에서 inference를 수행합니다.", "ko",
             0.8);
  ExpectLang("PyTorch와 TensorFlow는 딥러닝 framework입니다.", "ko", 0.9);
  ExpectLang(
      "LG AI Research가 개발한 EXAONE 모델은 Korean and English benchmark에서 좋은 "
      "성능을 보였습니다.",
      "ko", 0.5);
  // Korean with Hanja.
  ExpectLang("韓國의 經濟는 빠르게 성장하였다.", "ko", 0.99);
}

TEST(FoundryLangId, English) {
  ExpectLang("The quick brown fox jumps over the lazy dog and runs into the forest.", "en", 0.9);
  ExpectLang(
      "Language models are trained on large collections of text. The quality of that text "
      "matters as much as its size, which is why data curation is an important step.",
      "en", 0.9);
  ExpectLang("I think it is going to rain, so you should take an umbrella with you.", "en", 0.7);
  // An English text with a Korean name in it stays English.
  ExpectLang("Samsung (삼성) is a South Korean company whose headquarters are in Suwon.", "en",
             0.6);
}

TEST(FoundryLangId, Spanish) {
  ExpectLang("El perro come la comida en la casa de mi abuela porque tiene mucha hambre.", "es",
             0.6);
  ExpectLang("¿Dónde está la estación de tren? Necesito llegar a Madrid antes de las ocho.", "es",
             0.6);
  ExpectLang(
      "Los modelos de lenguaje se entrenan con grandes colecciones de textos, y la calidad de "
      "esos datos es tan importante como su tamaño.",
      "es", 0.7);
}

TEST(FoundryLangId, French) {
  ExpectLang("Le chat est sur la table et il dort dans la cuisine avec nous.", "fr", 0.7);
  ExpectLang("Qu'est-ce que c'est ? L'homme n'a pas vu l'arbre près de la rivière.", "fr", 0.6);
  ExpectLang(
      "Les modèles de langue sont entraînés sur de grandes collections de textes, et la "
      "qualité de ces données est aussi importante que leur taille.",
      "fr", 0.6);
}

TEST(FoundryLangId, German) {
  ExpectLang("Der Hund ist nicht in dem Haus, weil er mit den Kindern im Garten spielt.", "de",
             0.7);
  ExpectLang("Ich möchte ein Glas Wasser und eine Tasse Kaffee, bitte. Danke schön!", "de", 0.6);
  ExpectLang(
      "Sprachmodelle werden auf großen Textsammlungen trainiert, und die Qualität dieser Daten "
      "ist genauso wichtig wie ihre Größe.",
      "de", 0.6);
}

TEST(FoundryLangId, Japanese) {
  ExpectLang("ありがとう", "ja", 0.99);  // short, but kana settles it
  ExpectLang("東京の天気", "ja", 0.99);
  ExpectLang("今日はとても良い天気ですね。散歩に行きましょう。", "ja", 0.99);
  ExpectLang("自然言語処理は人工知能の一分野であり、コンピュータに人間の言語を理解させる技術です。",
             "ja", 0.99);
  ExpectLang("このモデルはTransformerを使って学習されました。", "ja", 0.6);
}

TEST(FoundryLangId, Chinese) {
  ExpectLang("自然语言处理是人工智能领域的一个重要方向。", "zh", 0.99);
  ExpectLang("我們今天去台北看電影，然後一起吃晚飯。", "zh", 0.99);
  ExpectLang("北京是中华人民共和国的首都，也是全国的政治和文化中心。", "zh", 0.99);
  // A Chinese text naming a Japanese product keeps zh: a few kana among many Han.
  ExpectLang(
      "任天堂发布了新的游戏ポケモン，这款游戏在全世界都非常受欢迎，很多玩家已经开始排队购买了。"
      "我们公司今年的销售额比去年增长了百分之二十，主要原因是海外市场的需求大幅增加。",
      "zh", 0.9);
}

TEST(FoundryLangId, Unknown) {
  ExpectUnknown("");
  ExpectUnknown("12345 !!! ??? ...");
  ExpectUnknown("Hello");  // too few letters to tell Latin languages apart
  ExpectUnknown("東京");   // Han alone, short: Chinese or Japanese
  ExpectUnknown("xkcd qwrtz plmbv zzkq brrr vlkx");  // Latin, no evidence
  ExpectUnknown("Привет, как дела? Это очень хороший день для прогулки в парке.");
  ExpectUnknown("مرحبا بكم في هذا الموقع الذي يقدم معلومات مفيدة عن اللغة العربية");
  ExpectUnknown("\xff\xfe\xfd\x80\x80");
}

TEST(FoundryLangId, NeverFailsOnRandomBytes) {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::string s(rng() % 200, '\0');
    for (char& c : s) c = static_cast<char>(rng() & 0xFF);
    const LangGuess g = IdentifyLanguage(s);
    ASSERT_GE(g.score, 0.0);
    ASSERT_LE(g.score, 1.0);
    ASSERT_FALSE(g.lang.empty());
  }
}

TEST(FoundryLangId, SamplesOnlyTheStart) {
  // 30,000 Hangul syllables then 450,000 English letters, which would outweigh them; only the
  // first 20,000 code points are read.
  std::string text;
  for (int k = 0; k < 15000; ++k) text += "한국";
  for (int k = 0; k < 30000; ++k) text += "the cat and the dog ";
  ExpectLang(text, "ko", 0.99);
}

TEST(FoundryLangId, Gpl3IsEnglish) {
  std::ifstream f("/usr/share/common-licenses/GPL-3");
  if (!f) GTEST_SKIP() << "/usr/share/common-licenses/GPL-3 is absent (not a Debian system)";
  std::stringstream ss;
  ss << f.rdbuf();
  const LangGuess g = IdentifyLanguage(ss.str());
  EXPECT_EQ(g.lang, "en");
  EXPECT_GT(g.score, 0.8);
}

}  // namespace
}  // namespace exaone::foundry
