package dev.lbipam.testsupport.netbox;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Address maths for the stand-in, written independently of the project's own {@code ipam-spi} so
 * that a shared bug cannot make both sides agree. An address is a family (4 or 6), an unsigned
 * value and a mask length, like NetBox's {@code netaddr.IPNetwork} host values.
 */
record Inet(int family, BigInteger value, int maskLength) implements Comparable<Inet> {

  static int bits(int family) {
    return family == 4 ? 32 : 128;
  }

  /** Parses {@code addr} or {@code addr/len}; a missing mask means the full length. */
  static Inet parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("null address");
    }
    String trimmed = text.trim();
    String host = trimmed;
    Integer mask = null;
    int slash = trimmed.indexOf('/');
    if (slash >= 0) {
      host = trimmed.substring(0, slash);
      String len = trimmed.substring(slash + 1);
      if (len.isEmpty() || len.length() > 3 || !len.chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException("bad mask in " + text);
      }
      mask = Integer.parseInt(len);
    }
    Inet parsed = host.indexOf(':') >= 0 ? parse6(host) : parse4(host);
    int length = mask == null ? bits(parsed.family) : mask;
    if (length > bits(parsed.family)) {
      throw new IllegalArgumentException("mask too long in " + text);
    }
    return new Inet(parsed.family, parsed.value, length);
  }

  private static Inet parse4(String host) {
    String[] parts = host.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("not an IPv4 address: " + host);
    }
    long value = 0;
    for (String part : parts) {
      if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException("not an IPv4 address: " + host);
      }
      int octet = Integer.parseInt(part);
      if (octet > 255) {
        throw new IllegalArgumentException("not an IPv4 address: " + host);
      }
      value = value << 8 | octet;
    }
    return new Inet(4, BigInteger.valueOf(value), 32);
  }

  private static Inet parse6(String host) {
    if (!host.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
      throw new IllegalArgumentException("not an IPv6 address: " + host);
    }
    try {
      byte[] bytes = InetAddress.getByName("[" + host + "]").getAddress();
      if (bytes.length == 4) {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(bytes, 0, mapped, 12, 4);
        bytes = mapped;
      }
      return new Inet(6, new BigInteger(1, bytes), 128);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IPv6 address: " + host);
    }
  }

  BigInteger hostMask() {
    return BigInteger.ONE.shiftLeft(bits(family) - maskLength).subtract(BigInteger.ONE);
  }

  /** First address of the network this address is in. */
  BigInteger networkValue() {
    return value.andNot(hostMask());
  }

  /** Last address of the network this address is in. */
  BigInteger lastValue() {
    return value.or(hostMask());
  }

  Inet withValue(BigInteger newValue) {
    return new Inet(family, newValue, maskLength);
  }

  Inet withMask(int length) {
    return new Inet(family, value, length);
  }

  /** {@code 10.0.0.1} or RFC 5952 IPv6, without the mask. */
  String host() {
    return format(family, value);
  }

  /** {@code 10.0.0.1/24}: how NetBox writes addresses. */
  String withMaskText() {
    return host() + "/" + maskLength;
  }

  static String format(int family, BigInteger value) {
    if (family == 4) {
      long v = value.longValue();
      return (v >> 24 & 0xff) + "." + (v >> 16 & 0xff) + "." + (v >> 8 & 0xff) + "." + (v & 0xff);
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
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        out.append("::");
        i += bestLength - 1;
        continue;
      }
      if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
        out.append(':');
      }
      out.append(Integer.toHexString(groups[i]));
    }
    return out.toString();
  }

  @Override
  public int compareTo(Inet other) {
    int byFamily = Integer.compare(family, other.family);
    return byFamily != 0 ? byFamily : value.compareTo(other.value);
  }
}
