// Word lists of the standard workload. Changing any of them changes the workload's bytes:
// the pinned digest in Tests/SluiceWorkloadTests must then be updated deliberately.

enum Vocabulary {
    static let firstNames = [
        "Ada", "Björn", "Chen", "Dalia", "Émile", "Farah", "Gustavo", "Hana", "Ivan", "Júlia",
        "Kenji", "Lena", "Mateo", "Nadia", "Olu", "Priya", "Quinn", "Rafaël", "Sofía", "Tomás",
        "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoë",
    ]

    static let lastNames = [
        "Andersen", "Brown", "Costa", "Dubois", "Eriksson", "Fischer", "García", "Hernández",
        "Ito", "Jansen", "Kowalski", "López", "Müller", "Nakamura", "O'Brien", "Petrović",
        "Rossi", "Schmidt", "Tanaka", "Usman", "Virtanen", "Weiß", "Yamamoto", "Zhang",
    ]

    static let tiers = ["free", "bronze", "silver", "gold", "platinum"]

    static let regions = ["eu", "na", "sa", "apac", "mea"]

    /// Cities per region, in the order of `regions`.
    static let cities: [[String]] = [
        ["Berlin", "Paris", "Kraków", "Lisboa", "Malmö", "Zürich", "Dublin", "Tallinn"],
        ["Toronto", "Chicago", "Austin", "Montréal", "Seattle", "Boston"],
        ["São Paulo", "Bogotá", "Lima", "Santiago", "Buenos Aires"],
        ["Tokyo", "Singapore", "Sydney", "Bengaluru", "Seoul", "Jakarta"],
        ["Dubai", "Nairobi", "Lagos", "Cairo", "Johannesburg"],
    ]

    static let tags = [
        "renewal", "upsell", "churn-risk", "expansion", "trial", "enterprise", "smb", "partner",
        "inbound", "outbound", "priority", "q4",
    ]

    /// Words of the free-text note. Some are multi-byte UTF-8; two carry JSON escapes
    /// (`\"` and `\n`), so parsers meet the slow path now and then, as with real notes.
    static let noteWords = [
        "customer", "asked", "about", "pricing", "for", "the", "annual", "plan", "and", "a",
        "discount", "on", "seats", "follow-up", "scheduled", "next", "week", "with", "their",
        "procurement", "team", "—", "renewal", "looks", "likely", "if", "we", "ship", "SSO",
        "before", "Q4", "café", "meeting", "went", "well", "champion", "is", "the", "VP",
        "of", "sales", "ops", "budget", "approved", "pending", "legal", "review", "contract",
        "redlines", "sent", "back", "to", "counsel", "déjà", "vu", "on", "integration",
        "questions", "HubSpot", "Slack", "Gong", "sync", "latency", "under", "a", "minute",
        "is", "a", "must", #"\"urgent\""#, "pilot", "expanded", "to", "3", "teams", #"\n"#,
        "naïve", "forecast", "80%", "→", "90%", "commit", "this", "quarter", "€12k", "ARR",
    ]
}
