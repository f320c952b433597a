package dev.lbipam.ipam.spi.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.math.BigInteger;
import java.util.List;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/** The parsers only ever throw {@link AddressFormatException}, and what they accept round-trips. */
class ParserPropertyTest {

  @Provide
  Arbitrary<String> anyText() {
    Arbitrary<String> addressLike =
        Arbitraries.strings().withChars("0123456789abcdefABCDEFxX:./-% ,[]+\u0661\u0668").ofMaxLength(45);
    Arbitrary<String> anything = Arbitraries.strings().all().ofMaxLength(20);
    Arbitrary<String> mutated =
        Combinators.combine(validText(), Arbitraries.integers().between(0, 60), Arbitraries.chars().with(":./-0179af%/ \u0661"),
                Arbitraries.integers().between(0, 2))
            .as(ParserPropertyTest::mutate);
    return Arbitraries.frequencyOf(Tuple.of(4, addressLike), Tuple.of(1, anything), Tuple.of(4, mutated));
  }

  @Property(tries = 3000)
  void addressParserOnlyThrowsItsOwnException(@ForAll("anyText") String text) {
    acceptsOrRejectsCleanly(text, IpAddress::parse, IpAddress::toString);
  }

  @Property(tries = 3000)
  void prefixParserOnlyThrowsItsOwnException(@ForAll("anyText") String text) {
    acceptsOrRejectsCleanly(text, IpPrefix::parse, IpPrefix::toString);
  }

  @Property(tries = 3000)
  void rangeParserOnlyThrowsItsOwnException(@ForAll("anyText") String text) {
    acceptsOrRejectsCleanly(text, IpRange::parse, IpRange::toString);
  }

  @Property(tries = 2000)
  void ipv4TextRoundTrips(@ForAll("ipv4") IpAddress address) {
    String text = address.toString();

    assertThat(text).matches("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");
    assertThat(IpAddress.parse(text)).isEqualTo(address);
  }

  @Property(tries = 3000)
  void ipv6TextIsRfc5952AndRoundTrips(@ForAll("ipv6Groups") List<Integer> groups) {
    BigInteger value = BigInteger.ZERO;
    for (int group : groups) {
      value = value.shiftLeft(16).or(BigInteger.valueOf(group));
    }
    IpAddress address = new IpAddress(IpFamily.IPV6, value);

    assertThat(address.toString()).isEqualTo(rfc5952(groups));
    assertThat(IpAddress.parse(address.toString())).isEqualTo(address);
    assertThat(IpAddress.parse(fullForm(groups, "%04X"))).isEqualTo(address);
  }

  @Property(tries = 1000)
  void ipv6RejectsGroupsOfMoreThanFourDigits(
      @ForAll("ipv6Groups") List<Integer> groups, @ForAll @IntRange(max = 7) int padded) {
    String[] parts = fullForm(groups, "%x").split(":");
    parts[padded] = "0".repeat(5 - parts[padded].length()) + parts[padded];
    String text = String.join(":", parts);

    assertThatThrownBy(() -> IpAddress.parse(text)).isExactlyInstanceOf(AddressFormatException.class);
  }

  @Property(tries = 1000)
  void ipv6RejectsLeadingZerosInAnEmbeddedIpv4(
      @ForAll("ipv4") IpAddress ipv4, @ForAll @IntRange(max = 3) int padded) {
    String[] octets = ipv4.toString().split("\\.");
    octets[padded] = "0" + octets[padded];
    String text = "64:ff9b::" + String.join(".", octets);

    assertThatThrownBy(() -> IpAddress.parse(text)).isExactlyInstanceOf(AddressFormatException.class);
    assertThat(IpAddress.parse("64:ff9b::" + ipv4).family()).isEqualTo(IpFamily.IPV6);
  }

  @Property(tries = 2000)
  void prefixParserMasksHostBits(
      @ForAll("ipv4") IpAddress ipv4, @ForAll("ipv6Groups") List<Integer> groups, @ForAll @IntRange(max = 128) int length,
      @ForAll boolean useIpv6) {
    IpAddress address = useIpv6 ? IpAddress.parse(fullForm(groups, "%x")) : ipv4;
    int bits = address.family().bits();
    int prefixLength = length % (bits + 1);

    IpPrefix prefix = IpPrefix.parse(address + "/" + prefixLength);

    assertThat(prefix.length()).isEqualTo(prefixLength);
    assertThat(prefix.toRange().contains(address)).isTrue();
    assertThat(prefix.toRange().size()).isEqualTo(BigInteger.ONE.shiftLeft(bits - prefixLength));
    assertThat(IpPrefix.parse(prefix.toString())).isEqualTo(prefix);
  }

  @Provide
  Arbitrary<IpAddress> ipv4() {
    Arbitrary<Long> any = Arbitraries.longs().between(0, 0xffffffffL);
    Arbitrary<Long> edges = Arbitraries.of(0L, 1L, 255L, 256L, 0xffL << 24, 0xfffffffeL, 0xffffffffL);
    return Arbitraries.frequencyOf(Tuple.of(5, any), Tuple.of(1, edges)).map(v -> IpAddress.of(IpFamily.IPV4, v));
  }

  /** Eight 16-bit groups, half of them zero, so zero runs of every length and position occur. */
  @Provide
  Arbitrary<List<Integer>> ipv6Groups() {
    Arbitrary<Integer> group =
        Arbitraries.frequencyOf(
            Tuple.of(5, Arbitraries.just(0)),
            Tuple.of(4, Arbitraries.integers().between(1, 0xffff)),
            Tuple.of(1, Arbitraries.of(0xffff, 0x10, 0x100)));
    return group.list().ofSize(8);
  }

  private Arbitrary<String> validText() {
    Arbitrary<String> v4 = ipv4().map(IpAddress::toString);
    Arbitrary<String> v6 = ipv6Groups().map(g -> rfc5952(g));
    Arbitrary<String> one = Arbitraries.oneOf(v4, v6);
    Arbitrary<String> prefix =
        Combinators.combine(one, Arbitraries.integers().between(0, 130)).as((a, l) -> a + "/" + l);
    Arbitrary<String> range = Combinators.combine(one, one).as((a, b) -> a + "-" + b);
    return Arbitraries.oneOf(one, prefix, range);
  }

  /** Mode 0 replaces, 1 inserts, 2 deletes the character at {@code position}. */
  private static String mutate(String text, int position, char c, int mode) {
    if (text.isEmpty()) {
      return String.valueOf(c);
    }
    int at = position % text.length();
    return switch (mode) {
      case 0 -> text.substring(0, at) + c + text.substring(at + 1);
      case 1 -> text.substring(0, at) + c + text.substring(at);
      default -> text.substring(0, at) + text.substring(at + 1);
    };
  }

  private static <T> void acceptsOrRejectsCleanly(String text, Function<String, T> parse, Function<T, String> print) {
    T parsed;
    try {
      parsed = parse.apply(text);
    } catch (AddressFormatException expected) {
      return;
    } catch (RuntimeException unexpected) {
      fail("\"" + text + "\" threw " + unexpected, unexpected);
      return;
    }
    assertThat(parse.apply(print.apply(parsed))).as("round trip of \"%s\"", text).isEqualTo(parsed);
  }

  private static String fullForm(List<Integer> groups, String format) {
    StringBuilder text = new StringBuilder();
    for (int group : groups) {
      text.append(text.length() == 0 ? "" : ":").append(String.format(format, group));
    }
    return text.toString();
  }

  /**
   * A reference RFC 5952 formatter written differently from the production one: replace the first
   * of the longest runs (two or more) of ":0" groups in ":g1:...:g8:" with "::".
   */
  /** RFC 5952, with section 5: an IPv4-mapped address keeps its IPv4 part dotted. */
  static String rfc5952(List<Integer> groups) {
    if (groups.subList(0, 5).stream().allMatch(g -> g == 0) && groups.get(5) == 0xffff) {
      return "::ffff:" + (groups.get(6) >> 8) + "." + (groups.get(6) & 0xff) + "." + (groups.get(7) >> 8) + "."
          + (groups.get(7) & 0xff);
    }
    String framed = ":" + fullForm(groups, "%x") + ":";
    for (int n = 8; n >= 2; n--) {
      String zeros = ":" + "0:".repeat(n);
      int at = framed.indexOf(zeros);
      if (at >= 0) {
        framed = framed.substring(0, at) + "::" + framed.substring(at + zeros.length());
        break;
      }
    }
    if (framed.startsWith(":") && !framed.startsWith("::")) {
      framed = framed.substring(1);
    }
    if (framed.endsWith(":") && !framed.endsWith("::")) {
      framed = framed.substring(0, framed.length() - 1);
    }
    return framed;
  }
}
