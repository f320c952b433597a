package dev.lbipam.ipam.spi.net;

/**
 * Which addresses may ever be handed out, expressed as jumps so that a search never visits the
 * excluded addresses one by one. Implementations must be pure and O(1).
 */
public interface AllocatableFilter {

  /** Every address is allocatable. */
  AllocatableFilter ALL =
      new AllocatableFilter() {
        @Override
        public IpAddress atOrAfter(IpAddress address) {
          return address;
        }

        @Override
        public IpAddress atOrBefore(IpAddress address) {
          return address;
        }

        @Override
        public java.math.BigInteger countAllocatable(IpRange range) {
          return range.size();
        }
      };

  /** The lowest allocatable address &gt;= {@code address}, or null if none is left in its family. */
  IpAddress atOrAfter(IpAddress address);

  /** The highest allocatable address &lt;= {@code address}, or null if none is left in its family. */
  IpAddress atOrBefore(IpAddress address);

  /** How many allocatable addresses {@code range} holds; O(1). */
  java.math.BigInteger countAllocatable(IpRange range);

  default boolean isAllocatable(IpAddress address) {
    return address.equals(atOrAfter(address));
  }
}
