package dev.lbipam.ipam.spi.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class IpRangeSetTest {

  /** Entries containing '/' are CIDRs, the others ranges. */
  record Case(String description, List<String> input, List<String> ranges, List<String> prefixes, String size) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("empty input is the empty set", List.of(), List.of(), List.of(), "0"),
        new Case("two adjacent /24 become one /23", List.of("10.0.0.0/24", "10.0.1.0/24"),
            List.of("10.0.0.0-10.0.1.255"), List.of("10.0.0.0/23"), "512"),
        new Case("input order does not matter", List.of("10.0.1.0/24", "10.0.0.0/24"),
            List.of("10.0.0.0-10.0.1.255"), List.of("10.0.0.0/23"), "512"),
        new Case("two /24 that are not one aligned /23 stay two prefixes", List.of("10.0.1.0/24", "10.0.2.0/24"),
            List.of("10.0.1.0-10.0.2.255"), List.of("10.0.1.0/24", "10.0.2.0/24"), "512"),
        new Case("overlapping ranges merge", List.of("10.0.0.1-10.0.0.10", "10.0.0.5-10.0.0.20"),
            List.of("10.0.0.1-10.0.0.20"),
            List.of("10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/30", "10.0.0.8/29", "10.0.0.16/30", "10.0.0.20/32"), "20"),
        new Case("adjacent ranges merge", List.of("10.0.0.5-10.0.0.8", "10.0.0.1-10.0.0.4"),
            List.of("10.0.0.1-10.0.0.8"), List.of("10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/30", "10.0.0.8/32"), "8"),
        new Case("a one-address gap keeps ranges apart", List.of("10.0.0.1-10.0.0.4", "10.0.0.6-10.0.0.8"),
            List.of("10.0.0.1-10.0.0.4", "10.0.0.6-10.0.0.8"),
            List.of("10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/32", "10.0.0.6/31", "10.0.0.8/32"), "7"),
        new Case("a contained range disappears", List.of("10.0.5.0/24", "10.0.0.0/16"),
            List.of("10.0.0.0-10.0.255.255"), List.of("10.0.0.0/16"), "65536"),
        new Case("duplicates count once", List.of("10.0.0.0/30", "10.0.0.0/30", "10.0.0.1-10.0.0.2"),
            List.of("10.0.0.0-10.0.0.3"), List.of("10.0.0.0/30"), "4"),
        new Case("host bits set are masked before merging", List.of("192.168.0.200/29", "192.168.0.209/29"),
            List.of("192.168.0.200-192.168.0.215"), List.of("192.168.0.200/29", "192.168.0.208/29"), "16"),
        new Case("the two halves of IPv4 make 0.0.0.0/0", List.of("128.0.0.0/1", "0.0.0.0/1"),
            List.of("0.0.0.0-255.255.255.255"), List.of("0.0.0.0/0"), "4294967296"),
        new Case("IPv4 sorts before IPv6", List.of("2001:db8::/64", "10.0.0.0/24"),
            List.of("10.0.0.0-10.0.0.255", "2001:db8::-2001:db8::ffff:ffff:ffff:ffff"),
            List.of("10.0.0.0/24", "2001:db8::/64"), "18446744073709551872"),
        new Case("the top of IPv4 is not adjacent to the bottom of IPv6",
            List.of("::-::1", "255.255.255.254-255.255.255.255"),
            List.of("255.255.255.254-255.255.255.255", "::-::1"), List.of("255.255.255.254/31", "::/127"), "4"),
        new Case("two IPv6 /65 halves make a /64", List.of("2001:db8:0:0:8000::/65", "2001:db8::/65"),
            List.of("2001:db8::-2001:db8::ffff:ffff:ffff:ffff"), List.of("2001:db8::/64"), "18446744073709551616"),
        new Case("two IPv6 /64 make a /63", List.of("2001:db8::/64", "2001:db8:0:1::/64"),
            List.of("2001:db8::-2001:db8:0:1:ffff:ffff:ffff:ffff"), List.of("2001:db8::/63"), "36893488147419103232"),
        new Case("an unaligned IPv6 range splits into minimal prefixes", List.of("2001:db8::1-2001:db8::6"),
            List.of("2001:db8::1-2001:db8::6"),
            List.of("2001:db8::1/128", "2001:db8::2/127", "2001:db8::4/127", "2001:db8::6/128"), "6"),
        new Case("overlapping IPv6 ranges merge", List.of("2001:db8::10-2001:db8::1f", "2001:db8::-2001:db8::17"),
            List.of("2001:db8::-2001:db8::1f"), List.of("2001:db8::/123"), "32"),
        new Case("the whole IPv6 space is ::/0", List.of("::/1", "8000::/1"),
            List.of("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), List.of("::/0"),
            "340282366920938463463374607431768211456"),
        new Case("IPv4 and IPv6 merge independently",
            List.of("10.0.0.0/25", "2001:db8::/127", "10.0.0.128/25", "2001:db8::2/127"),
            List.of("10.0.0.0-10.0.0.255", "2001:db8::-2001:db8::3"), List.of("10.0.0.0/24", "2001:db8::/126"), "260"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void mergesAndSplitsIntoMinimalPrefixes(Case c) {
    IpRangeSet set = IpRangeSet.of(c.input().stream().map(IpRangeSetTest::entry).toList());

    assertThat(set.ranges()).map(IpRange::toString).containsExactlyElementsOf(c.ranges());
    assertThat(set.toPrefixes()).map(IpPrefix::toString).containsExactlyElementsOf(c.prefixes());
    assertThat(set.size()).isEqualTo(new BigInteger(c.size()));
    assertThat(set.isEmpty()).isEqualTo(c.ranges().isEmpty());
    assertThat(IpRangeSet.of(set.toPrefixes().stream().map(IpPrefix::toRange).toList())).isEqualTo(set);
  }

  @Test
  void containsAnswersForBothFamilies() {
    IpRangeSet set = IpRangeSet.of(List.of(entry("10.0.0.0/24"), entry("10.0.2.0/24"), entry("2001:db8::/64")));

    assertThat(set.contains(IpAddress.parse("10.0.0.0"))).isTrue();
    assertThat(set.contains(IpAddress.parse("10.0.2.255"))).isTrue();
    assertThat(set.contains(IpAddress.parse("10.0.1.7"))).isFalse();
    assertThat(set.contains(IpAddress.parse("10.0.3.0"))).isFalse();
    assertThat(set.contains(IpAddress.parse("2001:db8::ffff:ffff:ffff:ffff"))).isTrue();
    assertThat(set.contains(IpAddress.parse("2001:db8:0:1::"))).isFalse();
    assertThat(set.contains(IpAddress.parse("::a00:1"))).isFalse();
  }

  @Test
  void onlyKeepsOneFamily() {
    IpRangeSet set = IpRangeSet.of(List.of(entry("10.0.0.0/24"), entry("2001:db8::/64")));

    assertThat(set.only(IpFamily.IPV4).ranges()).map(IpRange::toString).containsExactly("10.0.0.0-10.0.0.255");
    assertThat(set.only(IpFamily.IPV6).toPrefixes()).map(IpPrefix::toString).containsExactly("2001:db8::/64");
    assertThat(IpRangeSet.of(List.of(entry("10.0.0.0/24"))).only(IpFamily.IPV6).isEmpty()).isTrue();
  }

  static IpRange entry(String text) {
    return text.contains("/") ? IpPrefix.parse(text).toRange() : IpRange.parse(text);
  }
}
