// The static Huffman code of HPACK (RFC 7541 5.2, Appendix B) that HTTP/2
// peers use for header strings. gRPC clients Huffman-code most literals, so
// decoding is on the path of every call: it is table-driven, not a bit-by-bit
// tree walk.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cairn::api::h2 {

// Appends the decoded string to *out; false on an invalid code, the EOS
// symbol inside the string, or padding longer than 7 bits or not all ones
// (RFC 7541 5.2). On false *out is left as it was.
bool huffmanDecode(std::string_view in, std::string* out);

// Appends the Huffman encoding of `in` to *out, padded with ones to a byte.
void huffmanEncode(std::string_view in, std::string* out);

// The size in bytes huffmanEncode would append, without encoding: lets the
// encoder pick the shorter of raw and Huffman before writing anything.
std::size_t huffmanEncodedLength(std::string_view in);

}  // namespace cairn::api::h2
