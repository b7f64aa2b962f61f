// Secret values the lab tests put into stacks, kept in one place so that the audit after the suite
// (test/audit/secrets.test.ts) can look for each of them in the state, the logs and process command lines.
export const TEST_SASL_PASSWORDS = {
    hosts: "lab-sasl-password-0123",
    guests: "lab-guests-sasl-0123456",
} as const;
