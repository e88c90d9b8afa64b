// The web chat page served at "/" (HTML, CSS and script in one document, no external assets).
#pragma once

namespace exaone::server {

const char* ChatPageHtml();

}  // namespace exaone::server
