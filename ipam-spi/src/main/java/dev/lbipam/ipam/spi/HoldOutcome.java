package dev.lbipam.ipam.spi;

import java.util.List;
import java.util.Objects;

/** The result of {@link IpamBackend#hold}. */
public sealed interface HoldOutcome {

  /** The holding is recorded. */
  record Held() implements HoldOutcome {}

  /**
   * The holding is recorded as far as it could be, but some addresses clash with other owners. The
   * address is never moved: the user must resolve the clash.
   */
  record Conflicted(List<Conflict> conflicts) implements HoldOutcome {
    public Conflicted {
      conflicts = List.copyOf(conflicts);
    }
  }

  /** The backend could not record the holding now; retry with backoff. */
  record Unavailable(String message) implements HoldOutcome {
    public Unavailable {
      Objects.requireNonNull(message, "message");
    }
  }

  /** One address that another owner holds too. {@code otherOwner} may be in another cluster. */
  record Conflict(String address, OwnerRef otherOwner, String message) {}
}
