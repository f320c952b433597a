package dev.lbipam.ipam.spi.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class IpRangeTest {

  record Case(String description, String text, String first, String last, IpFamily family, String size) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<Case> validRanges() {
    return Stream.of(
        new Case("A-A is one address", "10.0.0.5-10.0.0.5", "10.0.0.5", "10.0.0.5", IpFamily.IPV4, "1"),
        new Case("IPv4 ascending", "10.0.0.1-10.0.0.10", "10.0.0.1", "10.0.0.10", IpFamily.IPV4, "10"),
        new Case("IPv4 across an octet boundary", "10.0.0.250-10.0.1.5", "10.0.0.250", "10.0.1.5", IpFamily.IPV4, "12"),
        new Case("IPv4 whole space", "0.0.0.0-255.255.255.255", "0.0.0.0", "255.255.255.255", IpFamily.IPV4,
            "4294967296"),
        new Case("IPv6 A-A", "2001:db8::1-2001:db8::1", "2001:db8::1", "2001:db8::1", IpFamily.IPV6, "1"),
        new Case("IPv6 is written canonically", "2001:DB8:0::1-2001:db8::00ff", "2001:db8::1", "2001:db8::ff",
            IpFamily.IPV6, "255"),
        new Case("IPv6 a whole /64", "2001:db8::-2001:db8::ffff:ffff:ffff:ffff", "2001:db8::",
            "2001:db8::ffff:ffff:ffff:ffff", IpFamily.IPV6, "18446744073709551616"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validRanges")
  void parsesBothEnds(Case c) {
    IpRange range = IpRange.parse(c.text());

    assertThat(range.first()).hasToString(c.first());
    assertThat(range.last()).hasToString(c.last());
    assertThat(range.family()).isEqualTo(c.family());
    assertThat(range.size()).isEqualTo(new BigInteger(c.size()));
    assertThat(range).hasToString(c.first() + "-" + c.last());
    assertThat(range.contains(range.first())).isTrue();
    assertThat(range.contains(range.last())).isTrue();
  }

  record Reject(String description, String text, String messageFragment) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<Reject> invalidRanges() {
    return Stream.of(
        new Reject("start after end", "10.0.0.10-10.0.0.1", "start is after its end"),
        new Reject("IPv6 start after end", "2001:db8::2-2001:db8::1", "start is after its end"),
        new Reject("IPv4 then IPv6", "10.0.0.1-2001:db8::1", "mixes families"),
        new Reject("IPv6 then IPv4", "2001:db8::1-10.0.0.1", "mixes families"),
        new Reject("one address", "10.0.0.1", "not a range"),
        new Reject("no end", "10.0.0.1-", "empty address"),
        new Reject("no start", "-10.0.0.1", "empty address"),
        new Reject("three ends", "10.0.0.1-10.0.0.2-10.0.0.3", "not a range"),
        new Reject("spaces around the dash", "10.0.0.1 - 10.0.0.2", "not an IPv4 address"),
        new Reject("a CIDR", "10.0.0.0/24", "not a range"),
        new Reject("bad end", "10.0.0.1-10.0.0.256", "not an IPv4 address"),
        new Reject("empty", "", "not a range"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidRanges")
  void rejectsWithAnAddressFormatException(Reject c) {
    assertThatThrownBy(() -> IpRange.parse(c.text()))
        .isExactlyInstanceOf(AddressFormatException.class)
        .hasMessageContaining(c.messageFragment());
  }

  @Test
  void containsOnlyAddressesOfItsOwnFamily() {
    IpRange everyIpv4 = IpRange.parse("0.0.0.0-255.255.255.255");

    assertThat(everyIpv4.contains(IpAddress.parse("::"))).isFalse();
    assertThat(everyIpv4.contains(IpAddress.parse("::ffff:10.0.0.1"))).isFalse();
    assertThat(IpRange.parse("10.0.0.1-10.0.0.3").contains(IpAddress.parse("10.0.0.4"))).isFalse();
  }
}
