// Command kiro-go declares the quickstart's resources in Go: profile settings, two users and a
// group, with tiers from stack config (`pulumi config set aliceTier Pro` schedules a downgrade
// for the 1st of next month).
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/pulumi-kiro/pulumi-kiro/sdk/go/kiro"
)

func main() {
	pulumi.Run(declare)
}

func declare(ctx *pulumi.Context) error {
	cfg := config.New(ctx, "")
	tier := func(key, fallback string) pulumi.String {
		if value := cfg.Get(key); value != "" {
			return pulumi.String(value)
		}
		return pulumi.String(fallback)
	}

	settings, err := kiro.NewProfileSettings(ctx, "settings", &kiro.ProfileSettingsArgs{
		OveragesEnabled: pulumi.Bool(cfg.GetBool("overages")),
	})
	if err != nil {
		return err
	}
	alice, err := kiro.NewSubscription(ctx, "alice", &kiro.SubscriptionArgs{
		User: pulumi.String("alice"),
		Tier: tier("aliceTier", "Pro+"),
	})
	if err != nil {
		return err
	}
	bob, err := kiro.NewSubscription(ctx, "bob", &kiro.SubscriptionArgs{
		User: pulumi.String("bob@example.com"),
		Tier: tier("bobTier", "Pro"),
	})
	if err != nil {
		return err
	}
	engineering, err := kiro.NewGroupAssignment(ctx, "engineering", &kiro.GroupAssignmentArgs{
		Group: pulumi.String("engineering"),
		Tier:  tier("engineeringTier", "Pro"),
	})
	if err != nil {
		return err
	}

	ctx.Export("alice", pulumi.Map{
		"status":             alice.Status,
		"tier":               alice.Tier,
		"effectiveTier":      alice.EffectiveTier,
		"pendingTier":        alice.PendingTier,
		"pendingEffectiveAt": alice.PendingEffectiveAt,
		"credits":            alice.Credits,
	})
	ctx.Export("bobStatus", bob.Status)
	ctx.Export("engineeringMembers", engineering.Members)
	ctx.Export("overagesEnabled", settings.OveragesEnabled)
	return nil
}
