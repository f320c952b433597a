package dev.lbipam.ipam.netbox;

import dev.lbipam.ipam.spi.net.AddressFormatException;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.ipam.spi.net.IpPrefix;
import dev.lbipam.ipam.spi.net.IpRange;
import java.util.Optional;

/**
 * One reference to a NetBox pool, as written in a {@code netbox-prefix-*} or {@code netbox-range-*}
 * value. The syntax, one entry of the comma-separated list:
 *
 * <ul>
 *   <li>a prefix by CIDR: {@code 10.0.0.0/24} (global table) or {@code 10.0.0.0/24@blue} (in the
 *       VRF named {@code blue});
 *   <li>a range by its bounds: {@code 10.0.0.10-10.0.0.20}, optionally {@code @vrf-name};
 *   <li>either by NetBox id: {@code #12}.
 * </ul>
 *
 * A VRF name may contain anything but {@code ,} and {@code @}; use the id form otherwise. Pure.
 */
public sealed interface PoolRef {

  /** What kind of NetBox object the reference names. */
  enum Kind {
    PREFIX("prefix", "prefixes"),
    RANGE("IP range", "ip-ranges");

    private final String word;
    private final String endpoint;

    Kind(String word, String endpoint) {
      this.word = word;
      this.endpoint = endpoint;
    }

    public String word() {
      return word;
    }

    /** The path segment under {@code /api/ipam/}. */
    public String endpoint() {
      return endpoint;
    }
  }

  Kind kind();

  /** The family when the text shows it; empty for id references. */
  Optional<IpFamily> family();

  /** A prefix by CIDR, in the global table when {@code vrf} is empty. */
  record PrefixByCidr(IpPrefix prefix, Optional<String> vrf) implements PoolRef {
    @Override
    public Kind kind() {
      return Kind.PREFIX;
    }

    @Override
    public Optional<IpFamily> family() {
      return Optional.of(prefix.family());
    }

    @Override
    public String toString() {
      return prefix + vrf.map(v -> "@" + v).orElse("");
    }
  }

  /** A range by its first and last address, in the global table when {@code vrf} is empty. */
  record RangeByBounds(IpRange range, Optional<String> vrf) implements PoolRef {
    @Override
    public Kind kind() {
      return Kind.RANGE;
    }

    @Override
    public Optional<IpFamily> family() {
      return Optional.of(range.family());
    }

    @Override
    public String toString() {
      return range + vrf.map(v -> "@" + v).orElse("");
    }
  }

  /** A prefix or range by NetBox id. */
  record ById(Kind kind, long id) implements PoolRef {
    public ById {
      if (id <= 0) {
        throw new PoolRefException("NetBox ids are positive: #" + id);
      }
    }

    @Override
    public Optional<IpFamily> family() {
      return Optional.empty();
    }

    @Override
    public String toString() {
      return "#" + id;
    }
  }

  /** Thrown by {@link #parse} and nothing else; the message quotes the entry. */
  final class PoolRefException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public PoolRefException(String message) {
      super(message);
    }
  }

  /** Parses one trimmed entry. Throws only {@link PoolRefException}. */
  static PoolRef parse(Kind kind, String entry) {
    if (entry == null || entry.isEmpty()) {
      throw new PoolRefException("empty entry");
    }
    if (!entry.equals(entry.strip())) {
      throw new PoolRefException("surrounding whitespace in \"" + entry + "\"");
    }
    if (entry.startsWith("#")) {
      String digits = entry.substring(1);
      if (digits.isEmpty() || digits.length() > 18 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw new PoolRefException("\"" + entry + "\" is not an id such as #12");
      }
      return new ById(kind, Long.parseLong(digits));
    }
    String target = entry;
    Optional<String> vrf = Optional.empty();
    int at = entry.indexOf('@');
    if (at >= 0) {
      if (at != entry.lastIndexOf('@')) {
        throw new PoolRefException("more than one @ in \"" + entry + "\"");
      }
      target = entry.substring(0, at).strip();
      String name = entry.substring(at + 1).strip();
      if (name.isEmpty()) {
        throw new PoolRefException("empty VRF name after @ in \"" + entry + "\"");
      }
      vrf = Optional.of(name);
    }
    try {
      if (kind == Kind.PREFIX) {
        if (target.indexOf('/') < 0) {
          throw new PoolRefException("\"" + entry + "\" is not a prefix such as 10.0.0.0/24, 10.0.0.0/24@vrf or #12");
        }
        return new PrefixByCidr(IpPrefix.parse(target), vrf);
      }
      if (target.indexOf('-') < 0) {
        throw new PoolRefException("\"" + entry + "\" is not a range such as 10.0.0.10-10.0.0.20, with @vrf, or #12");
      }
      return new RangeByBounds(IpRange.parse(target), vrf);
    } catch (AddressFormatException e) {
      throw new PoolRefException("\"" + entry + "\": " + e.getMessage());
    } catch (IllegalArgumentException e) {
      if (e instanceof PoolRefException p) {
        throw p;
      }
      throw new PoolRefException("\"" + entry + "\": " + e.getMessage());
    }
  }
}
