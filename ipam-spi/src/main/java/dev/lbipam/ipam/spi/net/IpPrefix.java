package dev.lbipam.ipam.spi.net;

import java.math.BigInteger;
import java.util.Objects;

/** A CIDR prefix. The network address has no host bits set. */
public record IpPrefix(IpAddress network, int length) implements Comparable<IpPrefix> {

  public IpPrefix {
    Objects.requireNonNull(network, "network");
    if (length < 0 || length > network.family().bits()) {
      throw new AddressFormatException("prefix length out of range: /" + length);
    }
    if (!network.value().and(hostMask(network.family(), length)).equals(BigInteger.ZERO)) {
      throw new IllegalArgumentException("host bits set in network address " + network + "/" + length);
    }
  }

  /** Parses {@code address/length}; host bits are masked off, as kube-vip does. */
  public static IpPrefix parse(String text) {
    int slash = text.indexOf('/');
    if (slash < 0 || slash != text.lastIndexOf('/')) {
      throw new AddressFormatException("not a CIDR: \"" + text + "\"");
    }
    IpAddress address = IpAddress.parse(text.substring(0, slash));
    String lengthText = text.substring(slash + 1);
    if (lengthText.isEmpty() || lengthText.length() > 3 || !lengthText.chars().allMatch(c -> c >= '0' && c <= '9')
        || (lengthText.length() > 1 && lengthText.charAt(0) == '0')) {
      throw new AddressFormatException("not a CIDR: \"" + text + "\"");
    }
    int length = Integer.parseInt(lengthText);
    if (length > address.family().bits()) {
      throw new AddressFormatException("prefix length out of range in \"" + text + "\"");
    }
    BigInteger masked = address.value().andNot(hostMask(address.family(), length));
    return new IpPrefix(new IpAddress(address.family(), masked), length);
  }

  static BigInteger hostMask(IpFamily family, int length) {
    return BigInteger.ONE.shiftLeft(family.bits() - length).subtract(BigInteger.ONE);
  }

  public IpFamily family() {
    return network.family();
  }

  public IpRange toRange() {
    BigInteger last = network.value().or(hostMask(family(), length));
    return new IpRange(network, new IpAddress(family(), last));
  }

  @Override
  public int compareTo(IpPrefix other) {
    int byNetwork = network.compareTo(other.network);
    return byNetwork != 0 ? byNetwork : Integer.compare(length, other.length);
  }

  @Override
  public String toString() {
    return network + "/" + length;
  }
}
