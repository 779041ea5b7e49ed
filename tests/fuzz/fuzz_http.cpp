// libFuzzer target: the HTTP lesson's parsers (examples/http/http.hpp): the
// head scanner, the request and response parsers, targets, percent-decoding,
// URLs, Content-Length and chunk sizes, on any bytes. Checks: no crash, no
// read past the input (ASan), and the scanner's and parser's answers agree
// with the limits the lesson documents.
#include "http.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string copy(reinterpret_cast<const char*>(data), size);
    const std::string_view text(copy);
    const std::size_t skip = http::leading_empty_lines(text);
    if (skip > text.size()) std::abort();
    const http::head_scan scan = http::scan_head(text.substr(skip));
    if (scan.complete()) {
        if (scan.end > text.size() - skip) std::abort();
        const http::parsed_request parsed = http::parse_request(text.substr(skip, scan.end));
        if (parsed.status == 0) {
            if (parsed.req.method.empty() || parsed.req.headers.size() > http::max_header_count) std::abort();
            (void)http::wants_keep_alive(parsed.req);
            (void)http::method_status(parsed.req.method);
            const http::target_path path = http::split_target(parsed.req.target);
            for (const std::string& segment : path.segments) {
                if (path.status == 0 && (segment == ".." || segment.find('/') != std::string::npos)) std::abort();
            }
        } else if (parsed.status < 400 || parsed.status > 505) {
            std::abort();
        }
    } else if (scan.status != 0 && scan.status != 414 && scan.status != 431) {
        std::abort();
    }
    (void)http::parse_response(text);
    (void)http::parse_url(text);
    (void)http::percent_decode(text);
    (void)http::parse_content_length(text);
    (void)http::parse_chunk_size(text);
    (void)http::content_type_for(text);
    (void)http::has_token(text, "close");
    return 0;
}
