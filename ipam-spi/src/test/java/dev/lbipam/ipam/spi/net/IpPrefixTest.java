package dev.lbipam.ipam.spi.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class IpPrefixTest {

  record Case(String description, String text, String network, int length, String range, String size) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<Case> validPrefixes() {
    return Stream.of(
        new Case("IPv4 /24", "10.0.0.0/24", "10.0.0.0", 24, "10.0.0.0-10.0.0.255", "256"),
        new Case("host bits already clear at .200/29", "192.168.0.200/29", "192.168.0.200", 29,
            "192.168.0.200-192.168.0.207", "8"),
        new Case("host bits are masked off", "192.168.0.203/29", "192.168.0.200", 29,
            "192.168.0.200-192.168.0.207", "8"),
        new Case("host bits masked on a short prefix", "10.1.2.3/8", "10.0.0.0", 8, "10.0.0.0-10.255.255.255", "16777216"),
        new Case("IPv4 /32 is one address", "10.0.0.7/32", "10.0.0.7", 32, "10.0.0.7-10.0.0.7", "1"),
        new Case("IPv4 /31 is two addresses", "10.0.0.7/31", "10.0.0.6", 31, "10.0.0.6-10.0.0.7", "2"),
        new Case("IPv4 /0 is the whole space", "1.2.3.4/0", "0.0.0.0", 0, "0.0.0.0-255.255.255.255", "4294967296"),
        new Case("IPv6 /64 masks the interface id", "2001:db8::1/64", "2001:db8::", 64,
            "2001:db8::-2001:db8::ffff:ffff:ffff:ffff", "18446744073709551616"),
        new Case("IPv6 /128 is one address", "2001:db8::1/128", "2001:db8::1", 128, "2001:db8::1-2001:db8::1", "1"),
        new Case("IPv6 /127", "2001:db8::1/127", "2001:db8::", 127, "2001:db8::-2001:db8::1", "2"),
        new Case("IPv6 upper case", "2001:DB8:0:0:8000::/65", "2001:db8:0:0:8000::", 65,
            "2001:db8:0:0:8000::-2001:db8::ffff:ffff:ffff:ffff", "9223372036854775808"),
        new Case("IPv6 /0 is the whole space", "::/0", "::", 0, "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "340282366920938463463374607431768211456"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validPrefixes")
  void parsesMasksAndCoversTheRightRange(Case c) {
    IpPrefix prefix = IpPrefix.parse(c.text());

    assertThat(prefix.network()).isEqualTo(IpAddress.parse(c.network()));
    assertThat(prefix.length()).isEqualTo(c.length());
    assertThat(prefix).hasToString(c.network() + "/" + c.length());
    assertThat(prefix.toRange()).isEqualTo(IpRange.parse(c.range()));
    assertThat(prefix.toRange().size()).isEqualTo(new BigInteger(c.size()));
    assertThat(IpPrefix.parse(prefix.toString())).isEqualTo(prefix);
  }

  record Reject(String description, String text) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<Reject> invalidPrefixes() {
    return Stream.of(
        new Reject("IPv4 /33", "10.0.0.0/33"),
        new Reject("IPv6 /129", "2001:db8::/129"),
        new Reject("no length", "10.0.0.0"),
        new Reject("empty length", "10.0.0.0/"),
        new Reject("no address", "/24"),
        new Reject("two slashes", "10.0.0.0/24/1"),
        new Reject("leading zero in the length", "10.0.0.0/08"),
        new Reject("negative length", "10.0.0.0/-1"),
        new Reject("signed length", "10.0.0.0/+8"),
        new Reject("space before the length", "10.0.0.0/ 8"),
        new Reject("space after the length", "10.0.0.0/8 "),
        new Reject("four-digit length", "10.0.0.0/1000"),
        new Reject("huge length", "10.0.0.0/99999999999"),
        new Reject("non-ASCII digit in the length", "10.0.0.0/\u0668"),
        new Reject("bad address", "10.0.0.256/24"),
        new Reject("hostname", "example.com/24"),
        new Reject("a range", "10.0.0.1-10.0.0.2/24"),
        new Reject("IPv6 zone", "fe80::%eth0/64"),
        new Reject("empty", ""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidPrefixes")
  void rejectsWithAnAddressFormatException(Reject c) {
    assertThatThrownBy(() -> IpPrefix.parse(c.text())).isExactlyInstanceOf(AddressFormatException.class);
  }

  @Test
  void theConstructorRefusesANetworkWithHostBitsSet() {
    assertThatThrownBy(() -> new IpPrefix(IpAddress.parse("10.0.0.1"), 24)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new IpPrefix(IpAddress.parse("10.0.0.0"), 33)).isInstanceOf(AddressFormatException.class);
  }
}
