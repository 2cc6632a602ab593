// Placeholder until the test environment lands (issue 3).
export default async function globalSetup(): Promise<void> {}
