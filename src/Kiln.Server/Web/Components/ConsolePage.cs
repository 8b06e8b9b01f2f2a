using Kiln.Server.Core;
using Kiln.Server.Console;
using Kiln.Server.Data;
using Microsoft.AspNetCore.Components;

namespace Kiln.Server.Web.Components;

/// <summary>What every signed-in page needs: the request, the database, the clock, the user and a 404 for ids that are not theirs.</summary>
public abstract class ConsolePage : ComponentBase
{
    [CascadingParameter] public HttpContext HttpContext { get; set; } = default!;
    [Inject] public KilnDb Db { get; set; } = default!;
    [Inject] public OrgAccess Access { get; set; } = default!;
    [Inject] public TimeProvider Clock { get; set; } = default!;
    [Inject] public NavigationManager Nav { get; set; } = default!;

    protected long UserId => WebUser.IdOf(HttpContext.User) ?? throw new InvalidOperationException("Page requires a signed-in user.");
    protected Actor Actor => WebUser.ActorOf(UserId, HttpContext);
    protected CancellationToken Ct => HttpContext.RequestAborted;

    /// <summary>
    /// True once OnInitializedAsync has finished. Blazor renders once while OnInitializedAsync is still awaiting
    /// (with PostgreSQL the awaits are really asynchronous), so pages render nothing until their data is loaded.
    /// </summary>
    protected bool Ready { get; private set; }

    protected override void OnParametersSet()
    {
        Ready = true;
        base.OnParametersSet();
    }

    /// <summary>Set when the URL names something outside the user's orgs (or nothing): the page shows "not found" with status 404.</summary>
    protected bool IsNotFound { get; private set; }

    protected void NotFound()
    {
        IsNotFound = true;
        SetStatus(StatusCodes.Status404NotFound);
    }

    /// <summary>
    /// Sets the status as the response starts. Static SSR renders no body when the status is already 404 while it
    /// renders (it leaves 404s to the status-code-pages middleware), and these pages want their own "not found" text.
    /// </summary>
    protected void SetStatus(int status)
    {
        var response = HttpContext.Response;
        response.OnStarting(() =>
        {
            response.StatusCode = status;
            return Task.CompletedTask;
        });
    }

    /// <summary>The org the URL names, if it is one of the user's; otherwise marks the page 404.</summary>
    protected async Task<OrgContext?> OrgAsync(string? orgId)
    {
        var org = await Access.OrgAsync(UserId, orgId, Ct);
        if (org is null) NotFound();
        return org;
    }

    protected static string Time(DateTimeOffset t) => UiText.Time(t);

    protected static string Count(int n, string noun, string? plural = null) => UiText.Count(n, noun, plural);

    /// <summary>The one-time notice a form post left for this page (post/redirect/get), read once.</summary>
    protected Task<Notice?> TakeNoticeAsync() => Notices.TakeAsync(HttpContext, Db, Clock);

    /// <summary>Leaves a notice for <paramref name="path"/> and redirects there (the end of every successful form post).</summary>
    protected async Task RedirectWithNoticeAsync(string path, Notice notice)
    {
        await Notices.SetAsync(HttpContext, Db, Clock, path, notice);
        Nav.NavigateTo(path);
    }

    /// <summary>A refused form post: the page shows the message with the refusal's status (nothing was done, so nothing repeats).</summary>
    protected string Refuse(OpError e)
    {
        SetStatus(e.Status);
        return e.Message;
    }
}
