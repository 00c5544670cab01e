// HeaderList: the session decodes every block into one list, so a block must
// never show fields of the one before it, and a large field must not keep its
// buffer after the list is cleared.
#include <catch2/catch.hpp>
#include <string>

#include "hpack_helpers.h"

using namespace cairn::api::h2::testing;

TEST_CASE("A reused header list holds only the last block's fields", "[hpack]") {
  HpackDecoder d;
  HeaderList list;
  REQUIRE(d.decode(dehex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"), &list) == Result::Ok);
  CHECK(list.toVector() == Headers{{":method", "GET"},
                                   {":scheme", "http"},
                                   {":path", "/"},
                                   {":authority", "www.example.com"}});
  list.clear();
  CHECK(list.empty());
  // RFC 7541 C.4.2, after C.4.1 above.
  REQUIRE(d.decode(dehex("82 86 84 be 5886 a8eb 1064 9cbf"), &list) == Result::Ok);
  CHECK(list.toVector() == Headers{{":method", "GET"},
                                   {":scheme", "http"},
                                   {":path", "/"},
                                   {":authority", "www.example.com"},
                                   {"cache-control", "no-cache"}});
  // A shorter block next: nothing of the longer one before it shows.
  list.clear();
  REQUIRE(d.decode(dehex("82"), &list) == Result::Ok);
  CHECK(list.toVector() == Headers{{":method", "GET"}});
}

TEST_CASE("A cleared header list gives back what a large block took", "[hpack]") {
  HeaderList list;
  list.add("x-big", std::string(64 * 1024, 'b'));
  list.add("x-small", "s");
  list.clear();
  list.add("a", "1");
  list.add("b", "2");
  CHECK(list.size() == 2);
  CHECK(list[0].value.capacity() < 64 * 1024);
  CHECK(list.toVector() == Headers{{"a", "1"}, {"b", "2"}});
  list.truncate(1);
  CHECK(list.toVector() == Headers{{"a", "1"}});
  list.truncate(5);
  CHECK(list.size() == 1);

  // A field dropped by truncate() (a list over the limit) is trimmed too.
  list.add("x-dropped", std::string(64 * 1024, 'd'));
  list.truncate(1);
  list.clear();
  list.add("a", "1");
  list.add("b", "2");
  CHECK(list[1].value.capacity() < 64 * 1024);

  // Many fields (1-byte static-table references decode to thousands): the
  // slots beyond a request's worth go.
  HpackDecoder d;
  list.clear();
  REQUIRE(d.decode(std::string(5000, '\x82'), &list) == Result::Ok);
  CHECK(list.size() == 5000);
  list.clear();
  CHECK(list.keptSlots() <= 32);
  REQUIRE(d.decode(dehex("82 86"), &list) == Result::Ok);
  CHECK(list.toVector() == Headers{{":method", "GET"}, {":scheme", "http"}});
}
