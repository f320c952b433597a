package dev.lbipam.ipam.spi.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class IpAddressTest {

  record Case(String description, String text, IpFamily family, String value, String canonical) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<Case> validAddresses() {
    return Stream.of(
        new Case("IPv4 lowest", "0.0.0.0", IpFamily.IPV4, "0", "0.0.0.0"),
        new Case("IPv4 highest", "255.255.255.255", IpFamily.IPV4, "4294967295", "255.255.255.255"),
        new Case("IPv4 ordinary", "10.0.0.1", IpFamily.IPV4, "167772161", "10.0.0.1"),
        new Case("IPv4 with zero octets", "192.0.2.0", IpFamily.IPV4, "3221225984", "192.0.2.0"),
        new Case("IPv6 all zeros is ::", "::", IpFamily.IPV6, "0", "::"),
        new Case("IPv6 loopback", "::1", IpFamily.IPV6, "1", "::1"),
        new Case("IPv6 all ones", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", IpFamily.IPV6,
            "340282366920938463463374607431768211455", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        new Case("IPv6 upper case is written lower case", "2001:DB8::ABCD", IpFamily.IPV6,
            "42540766411282592856903984951653870541", "2001:db8::abcd"),
        new Case("IPv6 full form is compressed", "2001:0db8:0000:0000:0000:0000:0000:0001", IpFamily.IPV6,
            "42540766411282592856903984951653826561", "2001:db8::1"),
        new Case("IPv6 leading zeros in a group are dropped", "2001:0db8:00a0::0001", IpFamily.IPV6,
            "42540766411476020988042325619606814721", "2001:db8:a0::1"),
        new Case("IPv6 a single zero group is not compressed", "2001:db8:0:1:1:1:1:1", IpFamily.IPV6,
            "42540766411282592875351010504635121665", "2001:db8:0:1:1:1:1:1"),
        new Case("IPv6 the longest zero run is compressed", "2001:0:0:1:0:0:0:1", IpFamily.IPV6,
            "42540488161975842778997100499009798145", "2001:0:0:1::1"),
        new Case("IPv6 the first of two equal zero runs is compressed", "2001:db8:0:0:1:0:0:1", IpFamily.IPV6,
            "42540766411282592856904266426630537217", "2001:db8::1:0:0:1"),
        new Case("IPv6 trailing zero run", "fe80:0:0:0:0:0:0:0", IpFamily.IPV6,
            "338288524927261089654018896841347694592", "fe80::"),
        new Case("IPv6 seven zero groups after the first", "1:0:0:0:0:0:0:0", IpFamily.IPV6,
            "5192296858534827628530496329220096", "1::"),
        new Case("IPv6 zero run in the middle", "1:2:0:0:0:0:7:8", IpFamily.IPV6,
            "5192455314859856157205683417579528", "1:2::7:8"),
        new Case("IPv6 with embedded IPv4 notation", "64:ff9b::192.0.2.33", IpFamily.IPV6,
            "524413980667603649783483184533471777", "64:ff9b::c000:221"),
        new Case("IPv6 IPv4-mapped literal stays IPv6", "::ffff:1.2.3.4", IpFamily.IPV6,
            "281470698652420", "::ffff:1.2.3.4"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validAddresses")
  void parsesAndWritesTheCanonicalForm(Case c) {
    IpAddress address = IpAddress.parse(c.text());

    assertThat(address.family()).isEqualTo(c.family());
    assertThat(address.value()).isEqualTo(new BigInteger(c.value()));
    assertThat(address).hasToString(c.canonical());
    assertThat(IpAddress.parse(c.canonical())).isEqualTo(address);
  }

  record Reject(String description, String text) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<Reject> invalidAddresses() {
    return Stream.of(
        new Reject("empty", ""),
        new Reject("three octets", "1.2.3"),
        new Reject("five octets", "1.2.3.4.5"),
        new Reject("a single number", "16909060"),
        new Reject("octet 256", "1.2.3.256"),
        new Reject("first octet 256", "256.0.0.1"),
        new Reject("leading zero in the first octet", "01.2.3.4"),
        new Reject("leading zero in a later octet", "10.0.00.1"),
        new Reject("octal-looking octet", "10.0.0.010"),
        new Reject("hex octet", "0x0a.0.0.1"),
        new Reject("empty octet", "10..0.1"),
        new Reject("trailing dot", "10.0.0.1."),
        new Reject("negative octet", "10.0.0.-1"),
        new Reject("four-digit octet", "10.0.0.0001"),
        new Reject("non-ASCII digit", "10.0.0.\u0661"),
        new Reject("hostname", "localhost"),
        new Reject("dotted hostname", "kube-vip.example.com"),
        new Reject("dotted hostname with four labels", "a.b.c.d"),
        new Reject("leading space", " 10.0.0.1"),
        new Reject("trailing space", "10.0.0.1 "),
        new Reject("a CIDR", "10.0.0.0/24"),
        new Reject("a range", "10.0.0.1-10.0.0.2"),
        new Reject("IPv6 zone by name", "fe80::1%eth0"),
        new Reject("IPv6 zone by number", "fe80::1%1"),
        new Reject("IPv6 in brackets", "[::1]"),
        new Reject("IPv6 nine groups", "1:2:3:4:5:6:7:8:9"),
        new Reject("IPv6 seven groups without ::", "1:2:3:4:5:6:7"),
        new Reject("IPv6 two ::", "1::2::3"),
        new Reject("IPv6 triple colon", ":::"),
        new Reject("IPv6 single colon", ":"),
        new Reject("IPv6 five hex digits", "12345::"),
        new Reject("IPv6 five hex digits with a leading zero", "2001:00db8::1"),
        new Reject("IPv6 a zero group of five digits", "00000::1"),
        new Reject("IPv6 embedded IPv4 with a leading zero", "::ffff:01.2.3.4"),
        new Reject("IPv6 embedded IPv4 with a leading zero in the last octet", "64:ff9b::192.0.2.033"),
        new Reject("IPv6 embedded IPv4 with three octets", "64:ff9b::192.0.2"),
        new Reject("IPv6 embedded IPv4 not at the end", "::1.2.3.4:1"),
        new Reject("IPv6 non-hex letter", "g::1"),
        new Reject("IPv6 with a space", "2001:db8:: 1"),
        new Reject("IPv6 with a CIDR length", "2001:db8::/64"),
        new Reject("IPv6 with a bad embedded IPv4", "::ffff:1.2.3.256"),
        new Reject("IPv6 with a non-ASCII digit", "2001:db8::\u0661"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidAddresses")
  void rejectsWithAnAddressFormatException(Reject c) {
    assertThatThrownBy(() -> IpAddress.parse(c.text())).isExactlyInstanceOf(AddressFormatException.class);
  }

  @Test
  void ordersIpv4BeforeIpv6AndThenNumerically() {
    assertThat(IpAddress.parse("255.255.255.255")).isLessThan(IpAddress.parse("::"));
    assertThat(IpAddress.parse("10.0.0.2")).isGreaterThan(IpAddress.parse("10.0.0.1"));
    assertThat(IpAddress.parse("2001:db8::2")).isGreaterThan(IpAddress.parse("2001:db8::1"));
  }

  @Test
  void plusStopsAtTheEdgesOfTheFamily() {
    assertThat(IpAddress.parse("255.255.255.255").plus(1)).isNull();
    assertThat(IpAddress.parse("0.0.0.0").plus(-1)).isNull();
    assertThat(IpAddress.parse("::").plus(-1)).isNull();
    assertThat(IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").plus(1)).isNull();
    assertThat(IpAddress.parse("10.0.0.255").plus(1)).isEqualTo(IpAddress.parse("10.0.1.0"));
    assertThat(IpAddress.parse("2001:db8::ffff").plus(1)).isEqualTo(IpAddress.parse("2001:db8::1:0"));
  }

  @Test
  void theConstructorRefusesValuesOutsideTheFamily() {
    assertThatThrownBy(() -> new IpAddress(IpFamily.IPV4, BigInteger.ONE.shiftLeft(32)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new IpAddress(IpFamily.IPV6, BigInteger.valueOf(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anIpv4MappedAddressPrintsDottedAndStandsForItsIpv4Host() {
    IpAddress mapped = IpAddress.parse("::ffff:10.80.0.2");
    assertThat(mapped.toString()).isEqualTo("::ffff:10.80.0.2");
    assertThat(IpAddress.parse("::ffff:a50:2")).isEqualTo(mapped);
    assertThat(mapped.isIpv4Mapped()).isTrue();
    assertThat(mapped.unmapped()).isEqualTo(IpAddress.parse("10.80.0.2"));
    assertThat(IpAddress.parse("10.80.0.2").alias()).contains(mapped);
    assertThat(mapped.alias()).contains(IpAddress.parse("10.80.0.2"));
    assertThat(IpAddress.parse("2001:db8::1").alias()).isEmpty();
    assertThat(IpAddress.parse("::a50:2").isIpv4Mapped()).as("IPv4-compatible is not mapped").isFalse();
    assertThat(IpAddress.parse("::a50:2").toString()).isEqualTo("::a50:2");
  }

  @Test
  void theUnspecifiedAddressesAreKnown() {
    assertThat(IpAddress.parse("::").isUnspecified()).isTrue();
    assertThat(IpAddress.parse("0.0.0.0").isUnspecified()).isTrue();
    assertThat(IpAddress.parse("::1").isUnspecified()).isFalse();
  }
}
