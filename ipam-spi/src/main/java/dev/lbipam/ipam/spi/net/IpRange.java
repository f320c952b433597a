package dev.lbipam.ipam.spi.net;

import java.math.BigInteger;
import java.util.Objects;

/** An inclusive range {@code first..last} of one family. */
public record IpRange(IpAddress first, IpAddress last) implements Comparable<IpRange> {

  public IpRange {
    Objects.requireNonNull(first, "first");
    Objects.requireNonNull(last, "last");
    if (first.family() != last.family()) {
      throw new AddressFormatException("range mixes families: " + first + "-" + last);
    }
    if (first.compareTo(last) > 0) {
      throw new AddressFormatException("range start is after its end: " + first + "-" + last);
    }
  }

  public static IpRange single(IpAddress address) {
    return new IpRange(address, address);
  }

  /** Parses {@code A-B} (both of one family, A &lt;= B). Entries are not trimmed here. */
  public static IpRange parse(String text) {
    int dash = text.indexOf('-');
    if (dash < 0 || dash != text.lastIndexOf('-')) {
      throw new AddressFormatException("not a range A-B: \"" + text + "\"");
    }
    return new IpRange(IpAddress.parse(text.substring(0, dash)), IpAddress.parse(text.substring(dash + 1)));
  }

  public IpFamily family() {
    return first.family();
  }

  public BigInteger size() {
    return last.value().subtract(first.value()).add(BigInteger.ONE);
  }

  public boolean contains(IpAddress address) {
    return address.family() == family() && first.compareTo(address) <= 0 && address.compareTo(last) <= 0;
  }

  @Override
  public int compareTo(IpRange other) {
    int byFirst = first.compareTo(other.first);
    return byFirst != 0 ? byFirst : last.compareTo(other.last);
  }

  @Override
  public String toString() {
    return first + "-" + last;
  }
}
