package dev.lbipam.controller;

import dev.lbipam.controller.AddressClaim.Holder;
import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.net.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Pure rules for address claims: what to do when a claim exists already, how a holder leaves, and
 * when a holder no longer needs its claim. No client, no clock.
 */
public final class ClaimRules {
  private ClaimRules() {}

  /** What to do about an existing claim when a Service wants the address. */
  public sealed interface OnExisting {
    /** The Service holds it already (a retry, or a restart): nothing to write. */
    record Mine() implements OnExisting {}

    /** The Service may join the holders: replace the claim with these holders. */
    record Join(List<Holder> holders) implements OnExisting {}

    /** Someone else holds it: never write the address onto the Service. */
    record Taken(String by) implements OnExisting {}
  }

  /**
   * @param mayShare whether the caller means to share the address (allow-share picked it, or the
   *     Service pins it); a fresh allocation that finds the address claimed never joins, because
   *     that would be a second writer's stale view, not sharing
   */
  public static OnExisting onExisting(AddressClaim existing, Holder me, boolean mayShare) {
    if (existing.heldBy(me.uid())) {
      return new OnExisting.Mine();
    }
    if (!mayShare || existing.holders().isEmpty()) {
      return new OnExisting.Taken(existing.describeHolder());
    }
    for (Holder holder : existing.holders()) {
      if (!PortKey.canShare(holder.ports(), me.ports())) {
        return new OnExisting.Taken(existing.describeHolder());
      }
    }
    List<Holder> joined = new ArrayList<>(existing.holders());
    joined.add(me);
    return new OnExisting.Join(joined);
  }

  /** How a holder lets go of a claim. */
  public sealed interface OnRelease {
    record NotHeld() implements OnRelease {}

    record Delete() implements OnRelease {}

    record Leave(List<Holder> remaining) implements OnRelease {}
  }

  public static OnRelease onRelease(AddressClaim claim, String uid) {
    if (!claim.heldBy(uid)) {
      return new OnRelease.NotHeld();
    }
    List<Holder> remaining = claim.holders().stream().filter(h -> !h.uid().equals(uid)).toList();
    return remaining.isEmpty() ? new OnRelease.Delete() : new OnRelease.Leave(remaining);
  }

  /** Whether a holder still needs its claim, judged from the Service as the cache shows it. */
  public enum HolderState {
    /** It shows the address, is being deleted, or waits for the address it claimed. */
    LIVE,
    /** The Service is gone (or was replaced by one with another uid). */
    GONE,
    /** The Service moved on: it shows other addresses, or is no longer ours. */
    STALE
  }

  /**
   * A claim is only freed when its Service can no longer write the address: it is gone, or it has
   * changed (so a patch decided on the old version fails its resourceVersion precondition). A
   * Service still waiting keeps the claim and is given that address when it is next allocated.
   */
  public static HolderState holderState(
      Holder holder, IpAddress address, Optional<ServiceSnapshot> service, ServiceDecider.Scope scope) {
    if (service.isEmpty() || !service.get().uid().equals(holder.uid())) {
      return HolderState.GONE;
    }
    Decision decision = ServiceDecider.decide(service.get(), scope);
    if (decision instanceof Decision.NotOurs) {
      return HolderState.STALE;
    }
    if (decision instanceof Decision.Release || decision instanceof Decision.Allocate) {
      return HolderState.LIVE;
    }
    IpAddress host = address.unmapped();
    boolean shown = ServiceDecider.heldLeniently(service.get()).stream().anyMatch(a -> a.unmapped().equals(host));
    return shown ? HolderState.LIVE : HolderState.STALE;
  }
}
