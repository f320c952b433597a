package dev.lbipam.ipam.redis;

import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import java.math.BigInteger;

/**
 * Key names. Every key of one address space shares the hash tag {@code {space}}, so each script
 * touches one Redis Cluster slot. Addresses are fixed-width lowercase hex (8 digits for IPv4, 32
 * for IPv6): lexicographic order is numeric order, exact for 128 bits, unlike sorted-set scores.
 */
public record ClaimKeys(String prefix, String space) {

  /** The prefix every key of this address space starts with, hash tag included. */
  public String base() {
    return prefix + ":{" + space + "}:";
  }

  /** Sorted set (all scores 0) of claimed addresses of one family, ordered by ZRANGEBYLEX. */
  public String used(IpFamily family) {
    return base() + "used:" + digit(family);
  }

  /** Hash: cluster, first owner, since, and one {@code o:<owner>} field per owner (its claim time). */
  public String claim(IpAddress address) {
    return base() + "claim:" + member(address);
  }

  /** Set of the {@link #member}s a cluster holds. */
  public String cluster(String clusterId) {
    return base() + "cluster:" + clusterId;
  }

  /** Set of the {@link #member}s one owner holds. */
  public String owner(OwnerRef owner) {
    return base() + "owner:" + ownerId(owner);
  }

  /** The change log's sequence number: how many claims were made or freed in this space. */
  public String version() {
    return base() + "version";
  }

  /**
   * Sorted set (all scores 0) of the last changes, ordered by ZRANGEBYLEX: {@code
   * <16 hex digits of the sequence number>:<1 claimed | 0 freed>:<member>}.
   */
  public String changes() {
    return base() + "changes";
  }

  /** Hash: sequence number -> its entry in {@link #changes}, so that the oldest can be trimmed. */
  public String changeIndex() {
    return base() + "changes:index";
  }

  /** A value that changes whenever the data set is lost; see {@code RedisBackend#needsRestore}. */
  public String epoch() {
    return base() + "epoch";
  }

  public static String ownerId(OwnerRef owner) {
    return owner.clusterId() + "/" + owner.namespace() + "/" + owner.name() + "/" + owner.uid();
  }

  public static OwnerRef parseOwnerId(String id) {
    String[] parts = id.split("/", 4);
    if (parts.length != 4) {
      throw new IllegalArgumentException("not an owner id: " + id);
    }
    return new OwnerRef(parts[0], parts[1], parts[2], parts[3]);
  }

  /** Fixed-width hex of the address value. */
  public static String hex(IpAddress address) {
    int width = address.family().bits() / 4;
    String digits = address.value().toString(16);
    return "0".repeat(width - digits.length()) + digits;
  }

  /** Family digit and hex, e.g. {@code 4:0a000001}: unique across families. */
  public static String member(IpAddress address) {
    return digit(address.family()) + ":" + hex(address);
  }

  public static IpAddress fromMember(String member) {
    IpFamily family = member.charAt(0) == '4' ? IpFamily.IPV4 : IpFamily.IPV6;
    return fromHex(family, member.substring(2));
  }

  public static IpAddress fromHex(IpFamily family, String hex) {
    return new IpAddress(family, new BigInteger(hex, 16));
  }

  private static String digit(IpFamily family) {
    return family == IpFamily.IPV4 ? "4" : "6";
  }
}
