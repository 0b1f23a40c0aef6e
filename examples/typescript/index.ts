// The quickstart's resources (examples/quickstart) in TypeScript: profile settings, two users
// and a group. Tiers come from stack config to try the rules:
// `pulumi config set aliceTier Pro` schedules a downgrade for the 1st of next month.
import * as pulumi from "@pulumi/pulumi";
import * as kiro from "@pulumi-kiro/kiro";

const config = new pulumi.Config();

const settings = new kiro.ProfileSettings("settings", {
    overagesEnabled: config.getBoolean("overages") ?? false,
});
const alice = new kiro.Subscription("alice", {
    user: "alice",
    tier: config.get("aliceTier") ?? "Pro+",
});
const bob = new kiro.Subscription("bob", {
    user: "bob@example.com",
    tier: config.get("bobTier") ?? "Pro",
});
const engineering = new kiro.GroupAssignment("engineering", {
    group: "engineering",
    tier: config.get("engineeringTier") ?? "Pro",
});

function summary(subscription: kiro.Subscription) {
    return {
        status: subscription.status,
        tier: subscription.tier,
        effectiveTier: subscription.effectiveTier,
        pendingTier: subscription.pendingTier,
        pendingEffectiveAt: subscription.pendingEffectiveAt,
        credits: subscription.credits,
    };
}

export const aliceSubscription = summary(alice);
export const bobSubscription = summary(bob);
export const engineeringMembers = engineering.members;
export const overagesEnabled = settings.overagesEnabled;
