namespace Router.Actors.Routing;

/// <summary>The three forms an address-space pattern takes, from most to least specific.</summary>
public enum AddressSpaceKind
{
    /// <summary><c>domain</c>: that domain only.</summary>
    Exact,

    /// <summary><c>*.domain</c>: strict subdomains of the domain.</summary>
    Subdomains,

    /// <summary><c>*</c>: every domain and address literal.</summary>
    Everything,
}
