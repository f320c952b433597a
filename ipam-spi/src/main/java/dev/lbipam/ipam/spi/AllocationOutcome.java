package dev.lbipam.ipam.spi;

import dev.lbipam.ipam.spi.net.IpAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** The result of {@link IpamBackend#allocate}: expected outcomes are values, not exceptions. */
public sealed interface AllocationOutcome {

  /**
   * Addresses were allocated (or, for a repeated request by the same owner, found again).
   *
   * @param addresses primary family first
   * @param pool a human-readable name of the pool they came from, e.g. {@code cidr-global}
   * @param serviceInterface the interface to announce on, if the configuration names one
   * @param notes things worth telling the user, e.g. "PreferDualStack: no IPv6 pool, IPv4 only"
   * @param shareable the addresses among {@code addresses} that this Service may hold together with
   *     other Services whose ports don't clash (sharing applies to it); the host records a joint
   *     holding only for these, and treats any other address it finds held as taken
   */
  record Allocated(
      List<IpAddress> addresses, String pool, Optional<String> serviceInterface, List<String> notes,
      Set<IpAddress> shareable)
      implements AllocationOutcome {
    public Allocated {
      addresses = List.copyOf(addresses);
      if (addresses.isEmpty()) {
        throw new IllegalArgumentException("an allocation holds at least one address");
      }
      Objects.requireNonNull(pool, "pool");
      Objects.requireNonNull(serviceInterface, "serviceInterface");
      notes = List.copyOf(notes);
      shareable = Set.copyOf(shareable);
    }

    /** An allocation that may share nothing. */
    public Allocated(List<IpAddress> addresses, String pool, Optional<String> serviceInterface, List<String> notes) {
      this(addresses, pool, serviceInterface, notes, Set.of());
    }
  }

  /** Nothing was allocated. The message is fit for a Kubernetes Event. */
  record Rejected(RejectReason reason, String message) implements AllocationOutcome {
    public Rejected {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
    }
  }
}
