package dev.lbipam.ipam.spi.net;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * One IPv4 or IPv6 address as an unsigned integer of its family's width. Ordered by family (IPv4
 * first), then numerically. Parsing never touches DNS.
 */
public record IpAddress(IpFamily family, BigInteger value) implements Comparable<IpAddress> {

  public IpAddress {
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(value, "value");
    if (value.signum() < 0 || value.compareTo(family.maxValue()) > 0) {
      throw new IllegalArgumentException("value out of range for " + family + ": " + value);
    }
  }

  public static IpAddress of(IpFamily family, long value) {
    return new IpAddress(family, BigInteger.valueOf(value));
  }

  /**
   * Parses a literal address: dotted-quad IPv4 (no leading zeros) or IPv6 (no zone). Surrounding
   * whitespace is not accepted; callers trim.
   */
  public static IpAddress parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new AddressFormatException("empty address");
    }
    if (text.indexOf(':') >= 0) {
      return parseIpv6(text);
    }
    return parseIpv4(text);
  }

  private static IpAddress parseIpv4(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      throw new AddressFormatException("not an IPv4 address: \"" + text + "\"");
    }
    long value = 0;
    for (String part : parts) {
      if (part.isEmpty() || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0')) {
        throw new AddressFormatException("not an IPv4 address: \"" + text + "\"");
      }
      int octet = 0;
      for (int i = 0; i < part.length(); i++) {
        char c = part.charAt(i);
        if (c < '0' || c > '9') {
          throw new AddressFormatException("not an IPv4 address: \"" + text + "\"");
        }
        octet = octet * 10 + (c - '0');
      }
      if (octet > 255) {
        throw new AddressFormatException("not an IPv4 address: \"" + text + "\"");
      }
      value = (value << 8) | octet;
    }
    return of(IpFamily.IPV4, value);
  }

  private static IpAddress parseIpv6(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!hex && c != ':' && c != '.') {
        throw new AddressFormatException("not an IPv6 address: \"" + text + "\"");
      }
    }
    // The JDK is laxer than RFC 4291 and Go's netip: it takes groups of five or more hex digits
    // ("00001::") and leading zeros in an embedded IPv4 part ("::ffff:01.2.3.4").
    String[] groups = text.split(":", -1);
    for (int i = 0; i < groups.length; i++) {
      String group = groups[i];
      boolean valid =
          group.indexOf('.') >= 0 ? i == groups.length - 1 && isDottedQuad(group) : group.length() <= 4;
      if (!valid) {
        throw new AddressFormatException("not an IPv6 address: \"" + text + "\"");
      }
    }
    byte[] bytes;
    try {
      // A literal containing ':' is parsed as IPv6 by the JDK without any name lookup.
      bytes = InetAddress.getByName("[" + text + "]").getAddress();
    } catch (UnknownHostException | RuntimeException e) {
      throw new AddressFormatException("not an IPv6 address: \"" + text + "\"");
    }
    if (bytes.length != 16) {
      // The JDK folds IPv4-mapped literals (::ffff:a.b.c.d) into IPv4; keep them IPv6.
      byte[] mapped = new byte[16];
      mapped[10] = (byte) 0xff;
      mapped[11] = (byte) 0xff;
      System.arraycopy(bytes, 0, mapped, 12, 4);
      bytes = mapped;
    }
    return new IpAddress(IpFamily.IPV6, new BigInteger(1, bytes));
  }

  private static boolean isDottedQuad(String text) {
    try {
      parseIpv4(text);
      return true;
    } catch (AddressFormatException e) {
      return false;
    }
  }

  public boolean isIpv4() {
    return family == IpFamily.IPV4;
  }

  private static final BigInteger MAPPED_PREFIX = BigInteger.valueOf(0xffffL).shiftLeft(32);
  private static final BigInteger LOW_32 = BigInteger.valueOf(0xffffffffL);

  /** True for an IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}). */
  public boolean isIpv4Mapped() {
    return family == IpFamily.IPV6 && value.andNot(LOW_32).equals(MAPPED_PREFIX);
  }

  /**
   * The IPv4 address an IPv4-mapped IPv6 address stands for, or this address. Two addresses are the
   * same host when their {@code unmapped()} forms are equal.
   */
  public IpAddress unmapped() {
    return isIpv4Mapped() ? new IpAddress(IpFamily.IPV4, value.and(LOW_32)) : this;
  }

  /** The other spelling of the same host: mapped for IPv4, IPv4 for mapped; empty otherwise. */
  public java.util.Optional<IpAddress> alias() {
    if (isIpv4Mapped()) {
      return java.util.Optional.of(unmapped());
    }
    if (isIpv4()) {
      return java.util.Optional.of(new IpAddress(IpFamily.IPV6, value.or(MAPPED_PREFIX)));
    }
    return java.util.Optional.empty();
  }

  /** The unspecified address of its family ({@code 0.0.0.0} or {@code ::}). */
  public boolean isUnspecified() {
    return value.signum() == 0;
  }

  /** This address plus {@code delta}, or null when the result leaves the family's space. */
  public IpAddress plus(long delta) {
    BigInteger next = value.add(BigInteger.valueOf(delta));
    if (next.signum() < 0 || next.compareTo(family.maxValue()) > 0) {
      return null;
    }
    return new IpAddress(family, next);
  }

  /** The last byte of the address. */
  public int lastOctet() {
    return value.intValue() & 0xff;
  }

  @Override
  public int compareTo(IpAddress other) {
    int byFamily = family.compareTo(other.family);
    return byFamily != 0 ? byFamily : value.compareTo(other.value);
  }

  /**
   * Canonical text: dotted quad, or RFC 5952 compressed lowercase IPv6; an IPv4-mapped address keeps
   * its IPv4 part dotted ({@code ::ffff:10.80.0.2}), as RFC 5952 section 5 and Go's netip print it.
   */
  @Override
  public String toString() {
    if (family == IpFamily.IPV4) {
      return dotted(value.longValue());
    }
    if (isIpv4Mapped()) {
      return "::ffff:" + dotted(value.longValue());
    }
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = value.shiftRight(16 * (7 - i)).intValue() & 0xffff;
    }
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      if (groups[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j;
    }
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        text.append("::");
        i += bestLength - 1;
        continue;
      }
      if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
        text.append(':');
      }
      text.append(Integer.toHexString(groups[i]));
    }
    return text.toString();
  }

  private static String dotted(long v) {
    return ((v >> 24) & 0xff) + "." + ((v >> 16) & 0xff) + "." + ((v >> 8) & 0xff) + "." + (v & 0xff);
  }
}
