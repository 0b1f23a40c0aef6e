// Kiro enterprise subscriptions as code: subscriptions, group assignments and profile settings.
package kiro
